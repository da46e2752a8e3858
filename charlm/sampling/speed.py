"""Characters per second of sampling, each path timed the same way (charlm.bench prints them).

    step_rates     the bare step: the model's own forward per character, against the C kernel
    end_to_end     finished postings through the public API, guard on, against the naive loop
    busy_rates     the int8 step at batch 16 and the postings, for the busy-machine table
Random-weight models run every posting to the full length (they never write </html>);
speed does not depend on the weights.
"""

from __future__ import annotations

import statistics
import time

import torch

from dreamjobs.timing import timed

from ..data import Vocab
from ..models import CharModel
from .batch import START
from .generator import Generator, native_engine
from .reference_guard import HtmlConstraint, TagGuard
from .settings import SampleSettings
from .steppers import PRECISIONS

TEMPERATURE = SampleSettings.temperature
STEPS = 20  # steps per timed call: the timer's own cost stays out of the figure


def step_rates(model: CharModel, seconds: float) -> dict[str, float]:
    """The bare step: the model's forward once per character against the C kernel, batch 1 and 16."""
    rates = {}
    idx, state = torch.zeros(1, 1, dtype=torch.long), None

    def naive():
        nonlocal state
        with torch.inference_mode():
            for _ in range(STEPS):
                _, state = model(idx, state)
        return STEPS

    el, chars = timed(naive, seconds)
    rates["naive"] = chars / el
    engine = native_engine(model)
    if engine is not None:
        for precision in PRECISIONS:
            net = engine(model, precision)
            for batch in (1, 16):
                el, chars = timed(batch_steps(net.stepper(batch), batch), seconds)
                rates[f"native {precision} x{batch}"] = chars / el
    return rates


def batch_steps(stepper, batch: int):
    """STEPS bare steps of a stepper's batch, as a timed() callable."""
    ids = torch.zeros(batch, dtype=torch.int32)

    def run():
        for _ in range(STEPS):
            stepper.step(ids)
        return STEPS * batch
    return run


def naive_posting(model: CharModel, vocab: Vocab, s: SampleSettings, seed: int, deadline: float) -> int:
    """The reference loop, as sampling worked before the native path; characters written by the deadline."""
    rng = torch.Generator().manual_seed(seed)
    with torch.inference_mode():
        logits, state = model(vocab.encode(START + s.prime).unsqueeze(0), None)
        logits = logits[:, -1]
        constraint, guard = HtmlConstraint(vocab.chars, s.ends(None, seed)[1]), TagGuard(s.prime)
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


def posting_rates(gen: Generator, seconds: float, length: int, **knobs) -> dict[str, float]:
    """Generator.stream one posting at a time for `seconds` (at least one), then generate(16) for
    as long (at least one batch), then 16 in flight for as long;
    knobs: sampling settings beside the temperature and length (top_p, real_words, ...)."""
    prime = SampleSettings.prime
    gen.sample(SampleSettings(temperature=TEMPERATURE, max_length=200, seed=0, **knobs))  # warm-up
    times, firsts, chars, seed = [], [], 0, 0
    start = time.perf_counter()
    while not times or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        pieces = gen.stream(SampleSettings(temperature=TEMPERATURE, max_length=length, seed=seed, **knobs))
        next(pieces)  # the prime
        text = next(pieces, "")
        firsts.append(time.perf_counter() - t0)  # the first character the model writes
        text += "".join(pieces)
        times.append(time.perf_counter() - t0)
        chars += len(text)
        seed += 1
    out = {"stream": chars / sum(times), "postings": len(times), "median_seconds": statistics.median(times),
           "median_chars": chars / len(times), "first_char": statistics.median(firsts)}
    # Batches until `seconds` pass, not one: a batch runs until its longest posting ends, so one
    # batch's rate is as much its draw of lengths as the model's speed.
    chars, batches, start = 0, 0, time.perf_counter()
    while not batches or time.perf_counter() - start < seconds:
        s = SampleSettings(temperature=TEMPERATURE, max_length=length, seed=1000 + 16 * batches, **knobs)
        chars += sum(len(t) - len(prime) for t in gen.generate(16, s))
        batches += 1
    out["x16"] = chars / (time.perf_counter() - start)
    out["in16"] = in_flight(gen, seconds, length, 16, **knobs)
    return out


def in_flight(gen: Generator, seconds: float, length: int, rows: int, **knobs) -> float:
    """Characters a second with `rows` postings always being written, for `seconds`: a row that
    finishes starts the next posting at once, as the gallery's server fills its batch, so no
    posting's length leaves the others' rows idle. Seeds 2000, 2001, ..."""
    batch, seeds, chars = gen.batch(rows), iter(range(2000, 2**31)), 0
    s = SampleSettings(temperature=TEMPERATURE, max_length=length, **knobs)
    s.check(gen.vocab)
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        while len(batch) < rows:
            seed = next(seeds)
            batch.add(seed, s, seed)
        chars += len(batch.advance())
    return chars / (time.perf_counter() - start)


def end_to_end(gen: Generator, seconds: float, length: int) -> dict[str, float]:
    """Characters of finished postings per second through the public API, guard on: the naive
    loop's (the 1.0x) and posting_rates'."""
    s = SampleSettings(temperature=TEMPERATURE, max_length=length)
    deadline = time.perf_counter() + seconds
    start, chars, seed = time.perf_counter(), 0, 0
    while time.perf_counter() < deadline:
        chars += naive_posting(gen.model, gen.vocab, s, seed, deadline)
        seed += 1
    return {"naive": chars / (time.perf_counter() - start), **posting_rates(gen, seconds, length)}


def busy_rates(gen: Generator, seconds: float, length: int) -> dict[str, float]:
    """The busy table's row: the step at batch 16 (and the thread count it ended on), and posting_rates."""
    stepper = gen.engine.stepper(16)
    el, chars = timed(batch_steps(stepper, 16), seconds)
    return {"step": chars / el, "step threads": stepper.threads, **posting_rates(gen, seconds, length)}


# What each guard and truncation costs: the settings measured, the first the 1.0x.
GUARD_SETTINGS = {"tag guard only": {"real_words": False},
                  "+ known-words guard": {"real_words": True, "word_shares": False},
                  "+ word shares": {"real_words": True, "word_shares": True},
                  "+ top-p 0.95 and min-p 0.02": {"real_words": True, "top_p": 0.95, "min_p": 0.02}}


def guard_costs(gen: Generator, seconds: float, length: int, rounds: int = 2) -> dict[str, dict[str, float]]:
    """posting_rates under each of GUARD_SETTINGS, measured in turn `rounds` times (the best of each
    kept), so that a noisy neighbour does not land on one setting alone."""
    best: dict[str, dict[str, float]] = {}
    for _ in range(rounds):
        for name, knobs in GUARD_SETTINGS.items():
            r = posting_rates(gen, seconds, length, **knobs)
            best[name] = {k: max(r[k], best.get(name, {}).get(k, 0.0)) for k in ("stream", "x16")}
    return best
