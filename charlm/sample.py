"""The sampling CLI: print postings sampled from a checkpoint. `python -m charlm.sample CKPT --help`.

The sampler itself is charlm/sampling/ (Generator); this module reads the command line."""

from __future__ import annotations

import argparse
import sys
import time

from dreamjobs.cli import run_cli

from . import checkpoint as ckpt_io
from .errors import SettingsError
from .models import resolve_device
from .sampling.generator import Generator
from .sampling.native import PRECISIONS
from .sampling.settings import (DEFAULT_PRECISION, POSTING_LENGTH, TEMPERATURE_RANGE, SampleSettings,
                                check_truncation, new_seed, settings_for)

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
    p.add_argument("--temperature", type=float, default=None,
                   help=f"{lo} to {hi}, as in the gallery: below 1 is safer and more repetitive, above 1 wilder "
                        "(default: the model family's, chosen by measurement; see docs)")
    p.add_argument("--top-p", type=float, default=None,
                   help="nucleus sampling: only the likeliest characters holding this share, in (0, 1] "
                        "(default: the family's)")
    p.add_argument("--min-p", type=float, default=None,
                   help="leave out characters less likely than this share of the likeliest's, in [0, 1) "
                        "(default: the family's)")
    p.add_argument("--real-words", action=argparse.BooleanOptionalAction, default=None,
                   help="write only words the model's corpus uses (the known-words guard; default: on where the "
                        "run has its word list)")
    p.add_argument("--word-shares", action=argparse.BooleanOptionalAction, default=None,
                   help="steer the body's words to the shares its corpus gives them (default: on where the run has "
                        "them, from python -m charlm.calibrate; with the known-words guard)")
    p.add_argument("--prime", default=d.prime, help=f"text the posting starts with (default {d.prime!r})")
    p.add_argument("--length", type=int, default=POSTING_LENGTH,
                   help="most characters to generate per posting; guarded postings end near a length drawn from "
                        f"the corpus's (default {POSTING_LENGTH})")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed to stderr)")
    p.add_argument("--top-k", type=int, default=None, help="sample only among the k likeliest characters")
    p.add_argument("--argmax", action="store_true", help="always take the likeliest character")
    p.add_argument("--no-guard", action="store_true",
                   help="sample the model unconstrained; by default tags always parse and close in order, "
                        "and long postings are wrapped up (the tag guard)")
    p.add_argument("--stop", default=d.stop,
                   help=f"stop a posting after this string; '' never stops early (default {d.stop!r})")
    for field, example in (("title", "Data Scientist"), ("company", "Dream Jobs Inc"), ("location", "Seattle, WA")):
        p.add_argument(f"--{field}", *(["--city"] if field == "location" else []),  # --city: its name until 2026-12
                       help=f"the posting's {field}, written into its frame exactly "
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
    if args.temperature is not None and not lo <= args.temperature <= hi:
        raise SettingsError(f"--temperature must be between {lo} and {hi} (as in the gallery), got {args.temperature}")
    if args.top_k is not None and args.top_k < 1:
        raise SettingsError(f"--top-k must be at least 1, got {args.top_k}")
    problem = check_truncation(args.top_p, args.min_p)
    if problem:
        raise SettingsError(problem.replace("top_p", "--top-p").replace("min_p", "--min-p"))
    resolve_device(args.device)  # a clear error where the device is missing
    seed = new_seed() if args.seed is None else args.seed
    given = dict(prime=args.prime, temperature=args.temperature, max_length=args.length, top_k=args.top_k,
                 top_p=args.top_p, min_p=args.min_p, real_words=args.real_words, word_shares=args.word_shares,
                 argmax=args.argmax, stop=args.stop or "", guard=not args.no_guard, title=args.title, company=args.company, location=args.location)
    # Every setting is checked against the model's vocabulary before the slow load.
    config, vocab = ckpt_io.peek(args.checkpoint)
    settings_for(config, **given, seed=seed).check(vocab)
    # Loading takes seconds (the weights, the sampling kernel, the corpus's copy index): say so.
    print(f"loading {args.checkpoint} ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    gen = Generator.from_checkpoint(args.checkpoint, device=args.device, precision=args.precision)
    print(f"ready in {time.monotonic() - started:.1f} s: {gen.backend} sampler, {gen.precision}",
          file=sys.stderr, flush=True)
    for note in gen.guards_off():
        print(f"note: {note}", file=sys.stderr, flush=True)
    if args.seed is None:
        print(f"seed: {seed}", file=sys.stderr)
    for i in range(args.n):
        settings = gen.settings(**given, seed=seed + i)
        if i == 0:
            print(f"settings: temperature {settings.temperature}, top-p {settings.top_p}, min-p {settings.min_p}, "
                  f"real words {'on' if settings.real_words and gen.vocab_tables.known_words else 'off'}, "
                  f"word shares {'on' if gen.shares_on(settings) else 'off'}",
                  file=sys.stderr, flush=True)
        for piece in gen.stream(settings):
            sys.stdout.write(piece)
            sys.stdout.flush()
        sys.stdout.write("\n\n" if i + 1 < args.n else "\n")
    return 0


if __name__ == "__main__":
    run_cli(main)
