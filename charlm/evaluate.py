"""How good is a checkpoint? `python -m charlm.evaluate CKPT --help`.

Prints, for one checkpoint:
- its validation loss in nats and bits per character, on the same by-posting split it
  was trained with (recomputed from the corpus, the seed and --val-frac it saved), next
  to what gzip, bz2 and lzma spend on the same val split once they have seen the train
  split; with --precision, the same loss through the sampler's own step at that
  precision, to show what reduced-precision sampling costs;
- over n sampled postings (with the tag guard, as the gallery samples, unless --no-guard):
  the share that is well-formed HTML, the share with the title/company/location frame,
  the share of generated words found in the training split's vocabulary, the share whose
  <title> line agrees with its h1/h2/h3 (coherent frame), novelty (the share of samples
  sharing a verbatim stretch of more than 200 characters with the corpus, and the median
  longest shared stretch), and length against the corpus's postings (median and
  quantiles of both), with the share of samples the model ended before the guard's
  wrap-up began;
- realism: how often each of three discriminators (char and word n-grams, document
  features; 5-fold cross-validated; charlm/quality/realism.py) tells the samples from as
  many real val postings, beside the same figure for real train postings against real val
  ones (0.5: it cannot tell them apart); what gives them away, and the words whose share of
  postings differs most between the two.
Ctrl-C prints what was done so far.

A transformer's val loss scores each character with the context it has when sampled: the
rolling cache of the window before it. Whether a sample's body reads as its title's job
family is the job classifier's to say: `--samples FILE` keeps the postings for
`python -m jobclass.predict --agreement FILE`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, replace
from datetime import date

import torch
from tqdm import tqdm

from dreamjobs.cli import parser, run_cli
from dreamjobs.files import atomic_file

from . import checkpoint as ckpt_io
from .bench import cpu_name
from .company_slot import scored_text
from .data import read_corpus
from .loss import stream_loss
from .quality.figures import QUANTILES, sample_figures
from .quality.metrics import compression_bpc
from .quality.realism import FOLDS, feature_medians, realism, share_gaps, tells
from .quality.report import describe_model, report
from .runs import save_realism
from .sampling.generator import Generator
from .sampling.native import PRECISIONS
from .sampling.settings import SAMPLING_KNOBS, TEMPERATURE_RANGE, check_truncation
from .threads import ThreadPacer, idle_cores, threads_problem


def evaluate(ckpt_path: str, data: str | None, n: int, given: dict, skip_compression: bool = False,
             precisions: tuple[str, ...] = (), skip_val: bool = False, result: dict | None = None,
             samples_to: str | None = None, threads: int | None = None) -> dict:
    """The figures of one checkpoint, written into `result` as each is done (Ctrl-C keeps them).
    `given`: the sampling settings asked for; the rest are the model family's defaults."""
    result = {} if result is None else result
    pacer = ThreadPacer(fixed=threads, idle=idle_cores())  # given a count, torch runs on it from here on
    ckpt = ckpt_io.load(ckpt_path)
    data = data or (ckpt.get("train_config") or {}).get("data") or "corpus/input.txt"
    text = read_corpus(data)
    split = ckpt_io.training_split(ckpt, text)
    gen = Generator.from_checkpoint(ckpt_path, threads=threads)
    val_text = "".join(split.val)
    gen.vocab.check(val_text, f"the val split of {data}")
    val_ids, per_char = scored_text(split.val, gen.vocab)  # nats per id -> per character of the postings
    streams = (ckpt.get("train_config") or {}).get("batch_size", 50)
    result.update(checkpoint=str(ckpt_path), data=str(data), epoch=ckpt.get("epoch"),
                  model=describe_model(ckpt["config"]), val_postings=len(split.val), val_chars=len(val_text))
    if ckpt_io.corpus_changed(ckpt, text):
        result["note"] = f"{data} is not the corpus this checkpoint was trained on; its split differs from training's"
        print(f"warning: {result['note']}", file=sys.stderr)
    if not skip_val:
        with progress(len(val_ids), "val loss") as bar:
            val = stream_loss(gen.model, val_ids, streams, 512, torch.device("cpu"), progress=bar.update,
                              pacer=pacer)[0] * per_char
        result.update(val_loss=val, val_bpc=val / math.log(2))
    for precision in precisions:
        stepped = Generator.from_checkpoint(ckpt_path, precision=precision, threads=threads)
        with progress(len(val_ids), f"val loss, sampler {precision}") as bar:
            result.setdefault("sampler_val_loss", {})[precision] = stepped.val_loss(val_ids, streams, bar.update) * per_char
    if not skip_compression:
        with tqdm(total=3, desc="compressors", file=sys.stderr) as bar:
            result["compression_bpc"] = compression_bpc("".join(split.train), val_text)
            bar.update(3)
    settings = gen.settings(**given)
    samples = sampled(gen, n, settings)
    if samples_to:
        with atomic_file(samples_to) as fh:
            fh.write("".join(samples))
    result.update(samples=n, max_length=settings.max_length, seed=settings.seed,
                  settings={**{k: getattr(settings, k) for k in SAMPLING_KNOBS}, "word_shares": gen.shares_on(settings)})
    result.update(sample_figures(samples, split, text, settings.stop))
    if n >= FOLDS:
        result["realism"] = realism_figures(samples, split, settings.seed)
    return result


def realism_figures(samples: list[str], split, seed: int) -> dict:
    """The three discriminators against real val postings and the control, the tells, the
    widest gaps in what postings say, and the document features (quality/realism.py)."""
    with tqdm(total=4, desc="realism", file=sys.stderr) as bar:
        found = realism(samples, split.val, split.train, seed)
        known = found.pop("known")
        found = {side: {k: asdict(d) for k, d in by_kind.items()} for side, by_kind in found.items()}
        bar.update(2)
        found["tells"] = tells(samples, split.val)
        found["gaps"] = share_gaps(samples, split.val)
        bar.update(1)
        found["features"] = feature_medians(samples, split.val, known)
        bar.update(1)
    return found


def progress(total: int, desc: str) -> tqdm:
    return tqdm(total=total, unit="char", unit_scale=True, desc=desc, file=sys.stderr)


def sampled(gen: Generator, n: int, settings: SampleSettings) -> list[str]:
    """n postings with seeds seed, seed+1, ..., 25 at a time."""
    samples: list[str] = []
    with tqdm(total=n, unit="posting", desc="sampling", file=sys.stderr) as bar:
        for start in range(0, n, 25):
            k = min(25, n - start)
            samples += gen.generate(k, replace(settings, seed=settings.seed + start))
            bar.update(k)
    return samples


def build_parser():
    p = parser("python -m charlm.evaluate", __doc__)
    p.add_argument("checkpoint", help="a .pt file written by python -m charlm.train")
    p.add_argument("--data", help="the corpus (default: the one the checkpoint was trained on)")
    p.add_argument("--realism", action="store_true",
                   help="the samples' figures and realism only: no val loss, no compressors (about 5 minutes)")
    p.add_argument("-n", type=int, default=200, help="postings to sample (default 200)")
    p.add_argument("--temperature", type=float, default=None, help="sampling temperature (default: the family's)")
    p.add_argument("--top-p", type=float, default=None, help="nucleus sampling share, in (0, 1] (default: the family's)")
    p.add_argument("--min-p", type=float, default=None, help="min-p truncation, in [0, 1) (default: the family's)")
    p.add_argument("--real-words", action=argparse.BooleanOptionalAction, default=None,
                   help="the known-words guard (default: the family's)")
    p.add_argument("--word-shares", action=argparse.BooleanOptionalAction, default=None,
                   help="steer the body's words to the corpus's shares (default: on where the run has them)")
    p.add_argument("--length", type=int, default=20000,
                   help="most characters per sample (default 20000; the longest corpus posting has 15k)")
    p.add_argument("--seed", type=int, default=1, help="seed of the first sample; sample i uses seed+i (default 1)")
    p.add_argument("--no-compression", action="store_true", help="skip the gzip/bz2/lzma reference")
    p.add_argument("--no-val", action="store_true",
                   help="skip scoring the val split (minutes on a CPU for a large model); sample figures only")
    p.add_argument("--no-guard", action="store_true",
                   help="sample the model unconstrained (default: the tag guard, as the gallery samples)")
    p.add_argument("--precision", action="append", choices=list(PRECISIONS), default=[],
                   help="also score the val split through the sampler's step at this precision (repeatable)")
    p.add_argument("--samples", metavar="FILE",
                   help="also write the sampled postings to FILE, for python -m jobclass.predict --agreement FILE")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads for scoring and sampling (default: paced, every core or fewer where other "
                        "processes hold cores and fewer is faster)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    p.add_argument("--save", action="store_true",
                   help="with --realism: keep the figures in the run folder's realism.json, which the gallery shows")
    return p


def main(argv: list[str] | None = None) -> int:
    p = build_parser()
    args = p.parse_args(argv)
    if not 1 <= args.n <= 10_000 or not 1 <= args.length <= 1_000_000:
        p.error("-n must be 1..10,000 and --length 1..1,000,000")
    lo, hi = TEMPERATURE_RANGE
    if args.temperature is not None and not lo <= args.temperature <= hi:
        p.error(f"--temperature must be between {lo} and {hi}, got {args.temperature}")
    problem = check_truncation(args.top_p, args.min_p)
    if problem:
        p.error(problem.replace("top_p", "--top-p").replace("min_p", "--min-p"))
    if problem := threads_problem(args.threads):
        p.error(problem)
    if args.save and not args.realism:
        p.error("--save keeps the realism figures: it goes with --realism")
    if args.no_val and args.precision:
        p.error("--precision compares the sampler's val loss with the model's: it needs the val split (drop --no-val)")
    given = {k: v for k, v in dict(temperature=args.temperature, top_p=args.top_p, min_p=args.min_p,
                                   real_words=args.real_words, word_shares=args.word_shares).items()
             if v is not None}
    given.update(max_length=args.length, seed=args.seed, guard=not args.no_guard)
    result: dict = {}
    try:
        evaluate(args.checkpoint, args.data, args.n, given, args.no_compression or args.realism,
                 tuple(args.precision), args.no_val or args.realism, result, args.samples, args.threads)
    except KeyboardInterrupt:
        if "checkpoint" not in result:
            raise
        result["interrupted"] = "Ctrl-C; the figures above are those done before it"
    print(json.dumps(result) if args.json else report(result))
    if args.save and "realism" in result and "interrupted" not in result:
        path = save_realism(ckpt_io.resolve(args.checkpoint).resolve().parent, realism_record(result, argv))
        print(f"saved to {path}", file=sys.stderr)
    return 130 if "interrupted" in result else 0


def realism_record(r: dict, argv: list[str] | None) -> dict:
    """What the gallery shows of a realism run: the figures, when, where and by which command."""
    keep = ("checkpoint", "model", "samples", "settings", "well_formed", "coherent_frame", "copy_share",
            "val_copy_share", "length_quantiles", "val_length_quantiles")
    return {"date": date.today().isoformat(), "machine": cpu_name(),
            "command": "python -m charlm.evaluate " + " ".join(argv if argv is not None else sys.argv[1:]),
            **{k: r[k] for k in keep}, "quantiles": list(QUANTILES),
            "accuracy": {side: {k: d["accuracy"] for k, d in r["realism"][side].items()}
                         for side in ("generated", "control")}}


if __name__ == "__main__":
    run_cli(main)
