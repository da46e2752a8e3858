"""Throughput of sampling and training, measured in one run: `python -m charlm.bench --help`.

Sampling, step only (characters per second of the bare model step, no sampling):
  naive       the model's own forward called once per character
  native      the C kernel (charlm/sampling/native/) at fp32, fp16 and int8, batch 1 and 16
Sampling, end to end (characters of finished postings per second through the public
API, guard on, the default settings, the gallery's length, seeds 0, 1, 2, ...):
  naive loop  the model's forward per character, then the reference guard (sampling/reference_guard.py),
              softmax and torch.multinomial in Python: the 1.0x of this part
  stream      Generator.stream, one posting at a time
  x16         Generator.generate(16): batches of sixteen postings for as long as the stream,
              total rate
  in16        sixteen postings always in flight for as long: a finished posting's row starts the
              next at once (the gallery server's continuous batching), so no batch waits on its
              longest posting; total rate
Training (characters per second of batch x seq-length windows, on --device):
  project    charlm.train's step: embedding, LSTM, head, cross-entropy, backward, clip, Adam
  compiled   the same step under torch.compile (--compile)
  nn.LSTM    a bare cuDNN-style fused nn.LSTM forward+backward of the same shape
  LSTMCell   the same stack stepped one timestep at a time in Python

--busy N,N: the same sampling figures beside N busy processes, per --threads setting.
--guards: what the known-words guard, its word shares and truncation cost, one stream and 16 at once, each
checkpoint against the tag guard alone in the same run.
The measuring lives in charlm/sampling/speed.py and charlm/training/speed.py.

Every figure for one model is measured in the same process, one after the other, so
the ratios hold even on a noisy shared machine. Random-weight models run every posting
to the full length (they never write </html>); speed does not depend on the weights.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import date

import torch

from dreamjobs.busy import MAX_BUSY, busy_processes
from dreamjobs.cli import parser, run_cli

from . import checkpoint as ckpt_io
from .data import Vocab
from .errors import CharLMError
from .models import CharRNN, ModelConfig, resolve_device
from .sampling import native
from .sampling.copy_guard import CorpusWindows
from .sampling.generator import Generator, copy_guard_of, native_engine
from .sampling.settings import DEFAULT_PRECISION, POSTING_LENGTH
from .sampling.speed import GUARD_SETTINGS, TEMPERATURE, busy_rates, end_to_end, guard_costs, step_rates
from .sampling.steppers import PRECISIONS
from .training.speed import training_rates

PRINTABLE = "".join(chr(c) for c in range(32, 127)) + "\n"


MAX_LAYERS, MAX_UNITS = 16, 8192  # the C kernel's layer limit; far past any model worth timing here
MAX_LENGTH = 1_000_000


def cpu_name() -> str:
    """The CPU's model name and its widest vector extensions, for the figures' header."""
    try:
        info = open("/proc/cpuinfo").read()
    except OSError:
        return platform.processor() or "unknown CPU"
    name = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")), "unknown CPU")
    flags = set(next((ln.split(":", 1)[1].split() for ln in info.splitlines() if ln.startswith("flags")), []))
    wide = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni") if f in flags]
    return f"{name} ({' '.join(wide) or 'no AVX2'})"


def parse_size(text: str) -> tuple[int, int]:
    try:
        layers, units = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise CharLMError(f"size {text!r} is not LAYERSxUNITS, e.g. 3x512") from None
    if not (1 <= layers <= MAX_LAYERS and 1 <= units <= MAX_UNITS):
        raise CharLMError(f"size {text!r}: layers must be 1-{MAX_LAYERS} and units 1-{MAX_UNITS}")
    return layers, units


def random_model(vocab: Vocab, layers: int, units: int) -> CharRNN:
    try:
        return CharRNN(ModelConfig(len(vocab), "lstm", units, layers, 0.5)).eval()
    except (RuntimeError, MemoryError) as exc:  # torch reports a failed allocation as a RuntimeError
        if isinstance(exc, RuntimeError) and "alloc" not in str(exc):
            raise
        raise CharLMError(f"a {layers}x{units} LSTM does not fit in this machine's memory") from None


def build_parser() -> argparse.ArgumentParser:
    p = parser("python -m charlm.bench", __doc__)
    p.add_argument("--checkpoint", action="append", default=[],
                   help="measure this checkpoint's model instead of random weights of --sizes; repeat it to "
                        "measure several in one run, each end-to-end rate then also as a ratio of the first's")
    p.add_argument("--sizes", default="3x512,2x128", help="comma-separated LAYERSxUNITS LSTM sizes (default 3x512,2x128)")
    p.add_argument("--precision", default=DEFAULT_PRECISION, choices=list(PRECISIONS),
                   help=f"weights of the native sampler for the end-to-end figures (default {DEFAULT_PRECISION})")
    p.add_argument("--seconds", type=float, default=3.0, help="time per measurement (default 3)")
    p.add_argument("--length", type=int, default=POSTING_LENGTH,
                   help=f"most characters per posting end to end (default {POSTING_LENGTH}, the gallery's)")
    p.add_argument("--batch-size", type=int, default=50, help="training batch (default 50)")
    p.add_argument("--seq-length", type=int, default=100, help="training window (default 100)")
    p.add_argument("--vocab", type=int, default=len(PRINTABLE), help="vocabulary size (default %(default)s)")
    p.add_argument("--skip-training", action="store_true", help="measure sampling only")
    p.add_argument("--skip-sampling", action="store_true",
                   help="measure training only (on a GPU host the sampling rows time its CPU, not the GPU)")
    p.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"],
                   help="where the training rows run (default cpu; sampling always runs on the CPU)")
    p.add_argument("--compile", action="store_true", help="add a row for the training step under torch.compile")
    p.add_argument("--guards", action="store_true",
                   help="what the known-words guard, word shares and top-p/min-p cost each --checkpoint, "
                        "against the tag guard alone")
    p.add_argument("--busy", default=None, metavar="N,N",
                   help="measure sampling beside N busy processes each (e.g. 0,1,2), for every --threads setting, "
                        "as one table; training is skipped")
    p.add_argument("--threads", default="auto", metavar="T,T",
                   help="sampler threads for --busy: auto (the default: the pacer's choice) and/or fixed counts")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.seconds > 0 or args.batch_size < 1 or args.seq_length < 1 or not 2 <= args.vocab <= len(PRINTABLE) \
            or not 1 <= args.length <= MAX_LENGTH or args.seconds == float("inf"):
        raise CharLMError(f"--seconds must be a positive number, batch and seq-length at least 1, --length "
                          f"1..{MAX_LENGTH:,}, --vocab 2..{len(PRINTABLE)}")
    if args.skip_training and args.skip_sampling:
        raise CharLMError("--skip-training and --skip-sampling together leave nothing to measure")
    device = resolve_device(args.device)
    torch.manual_seed(0)
    models = models_of(args)
    print(f"# charlm.bench, {date.today().isoformat()}")
    print(f"machine: {cpu_name()}, {platform.machine()}, {torch.get_num_threads()} torch threads, sampler up to "
          f"{native.threads()} threads "
          f"({os.cpu_count()} cores), torch {torch.__version__}, Python {platform.python_version()}")
    print("command: python -m charlm.bench " + " ".join(argv if argv is not None else sys.argv[1:]))
    print()
    if args.guards:
        if not args.checkpoint:
            raise CharLMError("--guards measures checkpoints (their word lists): name one with --checkpoint")
        report_guards(args.checkpoint, args.seconds, args.length)
        return 0
    if args.busy is not None:
        busy, threads = parse_counts(args.busy, "--busy", False), parse_counts(args.threads, "--threads", True)
        for name, model, model_vocab, copies in models:
            print(f"{name}, {args.precision}, guard on, T {TEMPERATURE}, length {args.length:,}:")
            report_busy({t: Generator(model, model_vocab, precision=args.precision, copy_index=copies, threads=t)
                         for t in threads}, busy, args.seconds, args.length)
        return 0
    print("| model | measure | chars/s | ratio |")
    print("|---|---|---:|---:|")
    rates = [report_model(name, model, model_vocab, copies, args, device) for name, model, model_vocab, copies in models]
    report_against_first([name for name, *_ in models], rates)
    return 0


def report_against_first(names: list[str], rates: list[dict | None]) -> None:
    """Each model's end-to-end rates as a share of the first model's, measured in this same run."""
    if len(names) < 2 or rates[0] is None:
        return
    print()
    print(f"end to end, against {names[0]}:")
    for name, r in zip(names[1:], rates[1:]):
        print(f"  {name}: stream {r['stream'] / rates[0]['stream']:.2f}x, generate(16) {r['x16'] / rates[0]['x16']:.2f}x, "
              f"16 in flight {r['in16'] / rates[0]['in16']:.2f}x; "
              f"first character after {r['first_char']:.3f} s (the first's: {rates[0]['first_char']:.3f} s)")


def models_of(args: argparse.Namespace) -> list[tuple[str, CharRNN, Vocab, CorpusWindows | None]]:
    """(name, model, vocabulary, copy guard's corpus windows) of the checkpoint, or of each random --sizes model."""
    if args.checkpoint:
        found = []
        for path in args.checkpoint:
            model, vocab, ckpt = ckpt_io.load_model(path)
            # Its corpus's copy guard too, when the corpus is at hand: what the gallery and charlm.sample run.
            found.append((f"{path} ({model.config.describe()})", model.eval(), vocab, copy_guard_of(ckpt)[0]))
        return found
    vocab = Vocab(PRINTABLE[: args.vocab - 1] + "\n" if args.vocab < len(PRINTABLE) else PRINTABLE)
    models = [(f"lstm {layers}x{units}", random_model(vocab, layers, units), vocab, None)
              for layers, units in (parse_size(s) for s in args.sizes.split(",") if s.strip())]
    if not models:
        raise CharLMError("--sizes names no model")
    return models


def parse_counts(text: str, what: str, auto: bool) -> list[int | None]:
    """'auto,1,2' -> [None, 1, 2] (auto only where allowed)."""
    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if auto and part == "auto":
            out.append(None)
            continue
        try:
            out.append(int(part))
        except ValueError:
            raise CharLMError(f"{what} {part!r} is not a number{' or auto' if auto else ''}") from None
    if not out or any(v is not None and not (1 if auto else 0) <= v <= MAX_BUSY for v in out):
        raise CharLMError(f"{what} must list {'auto or ' if auto else ''}numbers "
                          f"{1 if auto else 0}-{MAX_BUSY}, comma-separated")
    return out


def report_busy(gens: dict[int | None, Generator], busy: list[int], seconds: float, length: int) -> None:
    """For each count of busy processes beside it (dreamjobs/busy.py) and each thread setting (None:
    auto, the pacer's choice), the int8 step at batch 16, one posting at a time and sixteen at
    once; then, per load, auto's rates as a share of the better fixed setting's."""
    print("| beside it | sampler threads | int8 step, batch 16 | stream, end to end | generate(16), end to end |")
    print("|---|---|---:|---:|---:|")
    table: dict[tuple[int, int | None], dict] = {}
    for n in busy:
        with busy_processes(n, limit=3 * len(gens) * (seconds * 4 + 120)):
            time.sleep(0.5)  # let the neighbours get going
            for t, gen in gens.items():
                r = table[n, t] = busy_rates(gen, seconds, length)
                label = f"auto (on {r['step threads']} at the end)" if t is None else str(t)
                print(f"| {n} busy | {label} | {r['step']:,.0f} | {r['stream']:,.0f} | {r['x16']:,.0f} |", flush=True)
    if None in gens and len(gens) > 1:
        print()
        print("auto against the better fixed setting under the same load:")
        for n in busy:
            shares = [f"{key} {table[n, None][key] / max(table[n, t][key] for t in gens if t is not None):.2f}x"
                      for key in ("step", "stream", "x16")]
            print(f"  {n} busy: " + ", ".join(shares))


def report_guards(checkpoints: list[str], seconds: float, length: int) -> None:
    """What the known-words guard and truncation cost each checkpoint, one stream and 16 at once,
    against the tag guard alone in the same run."""
    print("| checkpoint | settings | stream, chars/s | 16 at once, chars/s | against the tag guard alone |")
    print("|---|---|---:|---:|---|")
    for path in checkpoints:
        gen = Generator.from_checkpoint(path)
        if not gen.vocab_tables.known_words:
            print(f"| {path} | no word list (no profile.json.gz, nor its corpus at hand): nothing to measure | | | |")
            continue
        rates = guard_costs(gen, seconds, length)
        base = rates[next(iter(GUARD_SETTINGS))]
        for name, r in rates.items():
            print(f"| {path} | {name} | {r['stream']:,.0f} | {r['x16']:,.0f} | stream {r['stream'] / base['stream']:.2f}x, "
                  f"16 at once {r['x16'] / base['x16']:.2f}x |", flush=True)


def report_model(name: str, model: CharRNN, model_vocab: Vocab, copies: CorpusWindows | None,
                 args: argparse.Namespace, device: torch.device) -> dict | None:
    """The table's rows for one model: step, end to end and training, less what is skipped; the end-to-end rates."""
    rates = None if args.skip_sampling else report_sampling(name, model, model_vocab, copies, args)
    if not args.skip_training and isinstance(model, CharRNN):  # the training rows compare LSTM steps
        report_training(name, model.config, args, device)
    return rates


def report_sampling(name: str, model: CharRNN, model_vocab: Vocab, copies: CorpusWindows | None,
                    args: argparse.Namespace) -> dict:
    s = step_rates(model, args.seconds)
    print(f"| {name} | step: naive, the model's forward per character | {s['naive']:,.0f} | 1.0x |")
    for key in [k for k in s if k.startswith("native")]:
        precision, batch = key.split()[1:]
        total = " (total)" if batch != "x1" else ""
        print(f"| {name} | step: native {precision}, batch {batch[1:]}{total} | {s[key]:,.0f} | "
              f"{s[key] / s['naive']:.1f}x naive |", flush=True)
    gen = Generator(model, model_vocab, precision=args.precision if native_engine(model) else None, copy_index=copies)
    e = end_to_end(gen, args.seconds, args.length)
    how = (f"guard on{', copy guard on' if copies is not None else ''}, T {TEMPERATURE}, length {args.length:,}, "
           f"{gen.backend} {gen.precision}")
    print(f"| {name} | end to end ({how}): naive loop | {e['naive']:,.0f} | 1.0x |")
    print(f"| {name} | end to end ({how}): Generator.stream, 1 posting at a time | {e['stream']:,.0f} | "
          f"{e['stream'] / e['naive']:.1f}x naive; {e['postings']} postings, median "
          f"{e['median_seconds']:.2f} s for {e['median_chars']:,.0f} chars on average, first character after "
          f"{e['first_char']:.3f} s |")
    print(f"| {name} | end to end ({how}): Generator.generate(16), total | {e['x16']:,.0f} | "
          f"{e['x16'] / e['naive']:.1f}x naive |")
    print(f"| {name} | end to end ({how}): 16 in flight, a finished row starting the next, total | "
          f"{e['in16']:,.0f} | {e['in16'] / e['naive']:.1f}x naive |", flush=True)
    return e


def report_training(name: str, c: ModelConfig, args: argparse.Namespace, device: torch.device) -> None:
    t = training_rates(c.num_layers, c.rnn_size, c.vocab_size, args.batch_size, args.seq_length, args.seconds,
                       device, args.compile)
    shape = f"b{args.batch_size} x t{args.seq_length}, {device.type}"
    print(f"| {name} | train ({shape}): project step | {t['project']:,.0f} | "
          f"{t['project'] / t['nn.LSTM']:.2f}x bare |")
    if "compiled" in t:
        print(f"| {name} | train ({shape}): project step, torch.compile | {t['compiled']:,.0f} | "
              f"{t['compiled'] / t['nn.LSTM']:.2f}x bare |")
    print(f"| {name} | train ({shape}): bare nn.LSTM fwd+bwd | {t['nn.LSTM']:,.0f} | 1.00x bare |")
    print(f"| {name} | train ({shape}): LSTMCell loop fwd+bwd | {t['LSTMCell']:,.0f} | "
          f"{t['LSTMCell'] / t['nn.LSTM']:.2f}x bare |", flush=True)


if __name__ == "__main__":
    run_cli(main)
