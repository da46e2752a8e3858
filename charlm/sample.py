"""The sampling CLI: print postings sampled from a checkpoint. `python -m charlm.sample CKPT --help`.

The sampler itself is charlm/sampling/ (Generator); this module reads the command line."""

from __future__ import annotations

import argparse
import sys
import time

from common.cli import run_cli

from .errors import SettingsError
from .models import resolve_device
from .sampling.generator import Generator
from .sampling.native import PRECISIONS
from .sampling.settings import DEFAULT_PRECISION, POSTING_LENGTH, TEMPERATURE_RANGE, SampleSettings, new_seed

MAX_LENGTH = 1_000_000  # characters per posting; the corpus's longest has 15,000


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m charlm.sample",
        description="Sample dream-job postings from a charlm checkpoint, streaming them to stdout.",
    )
    p.add_argument("checkpoint", help="a .pt file written by python -m charlm.train")
    p.add_argument("-n", type=int, default=1, help="number of postings; posting i uses seed+i (default 1)")
    d = SampleSettings()
    lo, hi = TEMPERATURE_RANGE
    p.add_argument("--temperature", type=float, default=d.temperature,
                   help=f"{lo} to {hi}, as in the gallery: below 1 is safer and more repetitive, above 1 wilder "
                        f"(default {d.temperature})")
    p.add_argument("--prime", default=d.prime, help=f"text the posting starts with (default {d.prime!r})")
    p.add_argument("--length", type=int, default=POSTING_LENGTH,
                   help="most characters to generate per posting; guarded postings are wrapped up past "
                        f"min({d.wrap_up_after}, half of this) (default {POSTING_LENGTH})")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed to stderr)")
    p.add_argument("--top-k", type=int, default=None, help="sample only among the k likeliest characters")
    p.add_argument("--argmax", action="store_true", help="always take the likeliest character")
    p.add_argument("--no-guard", action="store_true",
                   help="sample the model unconstrained; by default tags always parse and close in order, "
                        "and long postings are wrapped up (the tag guard)")
    p.add_argument("--stop", default=d.stop,
                   help=f"stop a posting after this string; '' never stops early (default {d.stop!r})")
    for field, example in (("title", "Data Scientist"), ("company", "Dream Jobs Inc"), ("city", "Seattle, WA")):
        p.add_argument(f"--{field}", help=f"the posting's {field}, written into its frame exactly "
                                          f"(e.g. {example!r}); the model writes the rest around it")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda", "mps"], help="where to run the model (default cpu)")
    p.add_argument("--precision", choices=list(PRECISIONS), default=None,
                   help=f"weights of the CPU sampler (default {DEFAULT_PRECISION}; fp32 is the model as trained; "
                        "other devices always use fp32)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.n < 1 or not 1 <= args.length <= MAX_LENGTH:
        build_parser().error(f"-n must be at least 1 and --length between 1 and {MAX_LENGTH:,}")
    lo, hi = TEMPERATURE_RANGE
    if not args.argmax and not lo <= args.temperature <= hi:
        raise SettingsError(f"--temperature must be between {lo} and {hi} (as in the gallery), got {args.temperature}")
    resolve_device(args.device)  # a clear error where the device is missing
    # Loading takes seconds (the weights, the sampling kernel, the corpus's copy index): say so.
    print(f"loading {args.checkpoint} ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    gen = Generator.from_checkpoint(args.checkpoint, device=args.device, precision=args.precision)
    guard = "copy guard on" if gen.copy_index is not None else "copy guard off (its corpus is not at hand)"
    print(f"ready in {time.monotonic() - started:.1f} s: {gen.backend} sampler, {gen.precision}, {guard}",
          file=sys.stderr, flush=True)
    seed = new_seed() if args.seed is None else args.seed
    if args.seed is None:
        print(f"seed: {seed}", file=sys.stderr)
    for i in range(args.n):
        settings = SampleSettings(prime=args.prime, temperature=args.temperature, max_length=args.length,
                                  seed=seed + i, top_k=args.top_k, argmax=args.argmax, stop=args.stop or None,
                                  guard=not args.no_guard, title=args.title, company=args.company, city=args.city)
        for piece in gen.stream(settings):
            sys.stdout.write(piece)
            sys.stdout.flush()
        sys.stdout.write("\n\n" if i + 1 < args.n else "\n")
    return 0


if __name__ == "__main__":
    run_cli(main)
