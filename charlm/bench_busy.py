"""charlm.bench's table for a busy machine (`--busy 0,1,2 --threads auto,1,2`).

For each count of busy processes beside it (common/busy.py) and each thread setting, the
sampler's rates in characters per second: the int8 step at batch 16, one posting at a
time end to end (Generator.stream) and sixteen at once (Generator.generate(16)). "auto" is
the default: the kernel's pacer picks the thread count as it goes (charlm/native/sampler.c);
a number fixes it (the count of cores was the default before the pacer). Then, per load,
auto's rates as a share of the better fixed setting's.
"""

from __future__ import annotations

import time

import torch

from common.busy import MAX_BUSY, busy_processes

from .errors import CharLMError
from .generate import Generator, SampleSettings

TEMPERATURE = SampleSettings.temperature


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


def rates(gen: Generator, seconds: float, length: int) -> dict[str, float]:
    stepper, ids = gen.engine.stepper(16), torch.zeros(16, dtype=torch.int32)
    for _ in range(20):
        stepper.step(ids)
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        for _ in range(20):
            stepper.step(ids)
        steps += 20
    out = {"step": 16 * steps / (time.perf_counter() - start), "step threads": stepper.threads}
    chars, seed, start = 0, 0, time.perf_counter()
    while not seed or time.perf_counter() - start < seconds:
        chars += len(gen.sample(temperature=TEMPERATURE, max_length=length, seed=seed)) - len(SampleSettings.prime)
        seed += 1
    out["stream"] = chars / (time.perf_counter() - start)
    start = time.perf_counter()
    texts = gen.generate(16, temperature=TEMPERATURE, max_length=length, seed=1000)
    out["x16"] = sum(len(t) - len(SampleSettings.prime) for t in texts) / (time.perf_counter() - start)
    return out


def report_busy(make_generator, busy: list[int], threads: list[int | None], seconds: float, length: int) -> None:
    """make_generator(threads) -> a Generator; prints the table and auto's shares."""
    gens = {t: make_generator(t) for t in threads}
    print("| beside it | sampler threads | int8 step, batch 16 | stream, end to end | generate(16), end to end |")
    print("|---|---|---:|---:|---:|")
    table: dict[tuple[int, int | None], dict] = {}
    for n in busy:
        with busy_processes(n, limit=3 * len(threads) * (seconds * 4 + 120)):
            time.sleep(0.5)  # let the neighbours get going
            for t in threads:
                r = table[n, t] = rates(gens[t], seconds, length)
                label = f"auto (on {r['step threads']} at the end)" if t is None else str(t)
                print(f"| {n} busy | {label} | {r['step']:,.0f} | {r['stream']:,.0f} | {r['x16']:,.0f} |", flush=True)
    if None in threads and len(threads) > 1:
        print()
        print("auto against the better fixed setting under the same load:")
        for n in busy:
            shares = []
            for key in ("step", "stream", "x16"):
                best = max(table[n, t][key] for t in threads if t is not None)
                shares.append(f"{key} {table[n, None][key] / best:.2f}x")
            print(f"  {n} busy: " + ", ".join(shares))
