"""Throughput of sampling and training, measured in one run: `python -m charlm.bench --help`.

Sampling, step only (characters per second of the bare model step, no sampling):
  naive       the model's nn.LSTM called once per character
  native      the C kernel (charlm/native/sampler.c) at fp32 and fp16, batch 1 and 16
Sampling, end to end (characters of finished postings per second through the public
API, guard on, temperature 0.8, the gallery's length, seeds 0, 1, 2, ...):
  naive loop  nn.LSTM per character, then the reference guard (charlm/guard.py),
              softmax and torch.multinomial in Python: the 1.0x of this part
  stream      Generator.stream, one posting at a time
  x16         Generator.generate(16): sixteen postings in one batch, total rate
Training (characters per second of batch x seq-length windows, on --device):
  project    charlm.train's step: embedding, LSTM, head, cross-entropy, backward, clip, Adam
  compiled   the same step under torch.compile (--compile)
  nn.LSTM    a bare cuDNN-style fused nn.LSTM forward+backward of the same shape
  LSTMCell   the same stack stepped one timestep at a time in Python

Every figure for one model is measured in the same process, one after the other, so
the ratios hold even on a noisy shared machine. Random-weight models run every posting
to the full length (they never write </html>); speed does not depend on the weights.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from contextlib import nullcontext
from datetime import date

import torch
from torch import nn

from common.cli import run_cli

from . import checkpoint as ckpt_io
from . import native
from .batch import START
from .bench_busy import parse_counts, report_busy
from .data import Vocab
from .errors import CharLMError
from .generate import DEFAULT_PRECISION, POSTING_LENGTH, Generator, SampleSettings, copy_guard_of
from .guard import HtmlConstraint, TagGuard
from .model import CharRNN, ModelConfig, resolve_device
from .novelty import CopyIndex
from .steppers import PRECISIONS, NativeLSTM
from .objective import TrainStep, make_optimizer

PRINTABLE = "".join(chr(c) for c in range(32, 127)) + "\n"
TEMPERATURE = SampleSettings.temperature


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


def timed(run_once, seconds: float, sync=lambda: None) -> tuple[float, int]:
    """Call run_once() (returning characters done) until `seconds` pass; (seconds, characters).
    sync() waits for queued device work, so that a GPU's time is counted, not its launches."""
    run_once()  # warm-up: first-call allocations, lazy initialisation, compilation
    sync()
    start, chars = time.perf_counter(), 0
    while True:
        chars += run_once()
        if time.perf_counter() - start >= seconds:
            sync()
            return time.perf_counter() - start, chars


def step_rates(model: CharRNN, seconds: float) -> dict[str, float]:
    """The bare step: nn.LSTM per character against the C kernel, batch 1 and 16."""
    rates = {}
    idx, state = torch.zeros(1, 1, dtype=torch.long), None

    def naive():
        nonlocal state
        with torch.inference_mode():
            for _ in range(20):
                _, state = model(idx, state)
        return 20

    el, chars = timed(naive, seconds)
    rates["naive"] = chars / el
    if NativeLSTM.supports(model):
        for precision in PRECISIONS:
            net = NativeLSTM(model, precision)
            for batch in (1, 16):
                stepper, ids = net.stepper(batch), torch.zeros(batch, dtype=torch.int32)

                def native(stepper=stepper, ids=ids, batch=batch):
                    for _ in range(20):
                        stepper.step(ids)
                    return 20 * batch

                el, chars = timed(native, seconds)
                rates[f"native {precision} x{batch}"] = chars / el
    return rates


def naive_posting(model: CharRNN, vocab: Vocab, s: SampleSettings, seed: int, deadline: float) -> int:
    """The reference loop, as sampling worked before the native path; characters written by the deadline."""
    rng = torch.Generator().manual_seed(seed)
    with torch.inference_mode():
        logits, state = model(vocab.encode(START + s.prime).unsqueeze(0), None)
        logits = logits[:, -1]
        constraint, guard = HtmlConstraint(vocab.chars, s.wrap_up()), TagGuard(s.prime)
        tail = s.prime
        for written in range(s.max_length):
            row = constraint.apply(logits[0].float(), guard, written)
            idx = torch.multinomial(torch.softmax(row / s.temperature, dim=-1), 1, generator=rng)
            ch = vocab.chars[int(idx)]
            guard.feed(ch)
            tail = (tail + ch)[-len(s.stop):]
            if tail == s.stop or time.perf_counter() > deadline:
                return written + 1
            logits, state = model(idx.view(1, 1), state)
            logits = logits[:, -1]
    return s.max_length


def end_to_end(gen: Generator, seconds: float, length: int) -> dict[str, float]:
    """Characters of finished postings per second through the public API, guard on."""
    s = SampleSettings(temperature=TEMPERATURE, max_length=length)
    out = {}
    deadline = time.perf_counter() + seconds
    start, chars, seed = time.perf_counter(), 0, 0
    while time.perf_counter() < deadline:
        chars += naive_posting(gen.model, gen.vocab, s, seed, deadline)
        seed += 1
    out["naive"] = chars / (time.perf_counter() - start)

    gen.sample(SampleSettings(temperature=TEMPERATURE, max_length=200, seed=0))  # warm-up
    times, chars, seed = [], 0, 0
    start = time.perf_counter()
    while not times or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        text = gen.sample(SampleSettings(temperature=TEMPERATURE, max_length=length, seed=seed))
        times.append(time.perf_counter() - t0)
        chars += len(text) - len(s.prime)
        seed += 1
    out["stream"] = chars / sum(times)
    out["postings"] = len(times)
    out["median_seconds"] = statistics.median(times)
    out["median_chars"] = chars / len(times)

    t0 = time.perf_counter()
    texts = gen.generate(16, SampleSettings(temperature=TEMPERATURE, max_length=length, seed=1000))
    out["x16"] = sum(len(t) - len(s.prime) for t in texts) / (time.perf_counter() - t0)
    return out


class CellStack(nn.Module):
    """The LSTM stack as LSTMCells stepped in Python: the slow baseline."""

    def __init__(self, units: int, layers: int):
        super().__init__()
        self.cells = nn.ModuleList(nn.LSTMCell(units, units) for _ in range(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        states = [(x.new_zeros(b, c.hidden_size), x.new_zeros(b, c.hidden_size)) for c in self.cells]
        outs = []
        for t in range(x.shape[1]):
            h = x[:, t]
            for i, cell in enumerate(self.cells):
                states[i] = cell(h, states[i])
                h = states[i][0]
            outs.append(h)
        return torch.stack(outs, 1)


def training_rates(layers: int, units: int, vocab_size: int, batch: int, seq: int, seconds: float,
                   device: torch.device, compile: bool) -> dict[str, float]:
    per_step = batch * seq
    x = torch.randint(0, vocab_size, (batch, seq), device=device)
    y = torch.randint(0, vocab_size, (batch, seq), device=device)

    def project(compile: bool):
        # Each on a model of its own: compiling swaps the readout of the model it is given.
        model = CharRNN(ModelConfig(vocab_size, "lstm", units, layers, 0.5)).to(device).train()
        step, hidden = TrainStep(model, model, make_optimizer(model, 2e-3, device), 5.0, nullcontext, compile), None

        def run():
            nonlocal hidden
            _, hidden = step(x, y, hidden)
            return per_step
        return run

    bare = nn.LSTM(units, units, layers, batch_first=True).to(device)
    cells = CellStack(units, layers).to(device)
    inputs = torch.randn(batch, seq, units, device=device)

    def fwd_bwd(net):
        def run():
            out = net(inputs)
            (out[0] if isinstance(out, tuple) else out).sum().backward()
            return per_step
        return run

    runs = [("project", project(False)), ("nn.LSTM", fwd_bwd(bare)), ("LSTMCell", fwd_bwd(cells))]
    if compile:
        runs.insert(1, ("compiled", project(True)))
    sync = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    rates = {}
    for label, fn in runs:
        el, chars = timed(fn, seconds, sync)
        rates[label] = chars / el
    return rates


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m charlm.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", help="measure this checkpoint's model instead of random weights of --sizes")
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
    p.add_argument("--busy", default=None, metavar="N,N",
                   help="measure sampling beside N busy processes each (e.g. 0,1,2), for every --threads setting, "
                        "as one table (charlm/bench_busy.py); training is skipped")
    p.add_argument("--threads", default="auto", metavar="T,T",
                   help="sampler threads for --busy: auto (the default: the pacer's choice) and/or fixed counts")
    args = p.parse_args(argv)
    if not args.seconds > 0 or args.batch_size < 1 or args.seq_length < 1 or not 2 <= args.vocab <= len(PRINTABLE) \
            or not 1 <= args.length <= MAX_LENGTH or args.seconds == float("inf"):
        raise CharLMError(f"--seconds must be a positive number, batch and seq-length at least 1, --length "
                          f"1..{MAX_LENGTH:,}, --vocab 2..{len(PRINTABLE)}")
    if args.skip_training and args.skip_sampling:
        raise CharLMError("--skip-training and --skip-sampling together leave nothing to measure")
    device = resolve_device(args.device)
    torch.manual_seed(0)
    vocab = Vocab(PRINTABLE[: args.vocab - 1] + "\n" if args.vocab < len(PRINTABLE) else PRINTABLE)
    if args.checkpoint:
        model, ck_vocab, ckpt = ckpt_io.load_model(args.checkpoint)
        c = model.config
        # Its corpus's copy guard too, when the corpus is at hand: what the gallery and charlm.sample run.
        models = [(f"{args.checkpoint} ({c.model} {c.num_layers}x{c.rnn_size})", model.eval(), ck_vocab,
                   copy_guard_of(ckpt)[0])]
    else:
        models = [(f"lstm {layers}x{units}", random_model(vocab, layers, units), vocab, None)
                  for layers, units in (parse_size(s) for s in args.sizes.split(",") if s.strip())]
    if not models:
        raise CharLMError("--sizes names no model")

    print(f"# charlm.bench, {date.today().isoformat()}")
    print(f"machine: {cpu_name()}, {platform.machine()}, {torch.get_num_threads()} torch threads, sampler up to "
          f"{native.threads()} threads "
          f"({os.cpu_count()} cores), torch {torch.__version__}, Python {platform.python_version()}")
    print("command: python -m charlm.bench " + " ".join(argv if argv is not None else sys.argv[1:]))
    print()
    if args.busy is not None:
        busy, threads = parse_counts(args.busy, "--busy", False), parse_counts(args.threads, "--threads", True)
        for name, model, model_vocab, copies in models:
            print(f"{name}, {args.precision}, guard on, T {TEMPERATURE}, length {args.length:,}:")
            report_busy(lambda t: Generator(model, model_vocab, precision=args.precision, copy_index=copies,
                                            threads=t), busy, threads, args.seconds, args.length)
        return 0
    print("| model | measure | chars/s | ratio |")
    print("|---|---|---:|---:|")
    for name, model, model_vocab, copies in models:
        report_model(name, model, model_vocab, copies, args, device)
    return 0


def report_model(name: str, model: CharRNN, model_vocab: Vocab, copies: CopyIndex | None,
                 args: argparse.Namespace, device: torch.device) -> None:
    """The table's rows for one model: step, end to end and training, less what is skipped."""
    if not args.skip_sampling:
        report_sampling(name, model, model_vocab, copies, args)
    if not args.skip_training:
        report_training(name, model.config, args, device)


def report_sampling(name: str, model: CharRNN, model_vocab: Vocab, copies: CopyIndex | None,
                    args: argparse.Namespace) -> None:
    s = step_rates(model, args.seconds)
    print(f"| {name} | step: naive nn.LSTM per character | {s['naive']:,.0f} | 1.0x |")
    for key in [k for k in s if k.startswith("native")]:
        precision, batch = key.split()[1:]
        total = " (total)" if batch != "x1" else ""
        print(f"| {name} | step: native {precision}, batch {batch[1:]}{total} | {s[key]:,.0f} | "
              f"{s[key] / s['naive']:.1f}x naive |", flush=True)
    gen = Generator(model, model_vocab, precision=args.precision if NativeLSTM.supports(model) else None,
                    copy_index=copies)
    e = end_to_end(gen, args.seconds, args.length)
    how = (f"guard on{', copy guard on' if copies is not None else ''}, T {TEMPERATURE}, length {args.length:,}, "
           f"{gen.backend} {gen.precision}")
    print(f"| {name} | end to end ({how}): naive loop | {e['naive']:,.0f} | 1.0x |")
    print(f"| {name} | end to end ({how}): Generator.stream, 1 posting at a time | {e['stream']:,.0f} | "
          f"{e['stream'] / e['naive']:.1f}x naive; {e['postings']} postings, median "
          f"{e['median_seconds']:.2f} s for {e['median_chars']:,.0f} chars on average |")
    print(f"| {name} | end to end ({how}): Generator.generate(16), total | {e['x16']:,.0f} | "
          f"{e['x16'] / e['naive']:.1f}x naive |", flush=True)


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
