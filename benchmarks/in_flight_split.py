"""Where the time of 16 postings in flight goes: the model's step against the rest of a batch's work.

    python benchmarks/in_flight_split.py CKPT [CKPT ...] [--seconds 12]

For each checkpoint, charlm.bench's 16 in flight (charlm/sampling/speed.py, in_flight) for
--seconds, with its batch's model step timed on its own: the characters a second, and the
step's share of the time. The rest is the draw, the guards and the bookkeeping in Python.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from charlm import Generator  # noqa: E402
from charlm.sampling.speed import in_flight  # noqa: E402
from charlm.sampling.settings import POSTING_LENGTH  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoints", nargs="+")
    p.add_argument("--seconds", type=float, default=12.0)
    args = p.parse_args()
    for path in args.checkpoints:
        gen = Generator.from_checkpoint(path)
        stepper = type(gen.batch(1).stepper)
        spent = [0.0]
        step = stepper.step

        def timed(self, ids, step=step):
            t = time.perf_counter()
            out = step(self, ids)
            spent[0] += time.perf_counter() - t
            return out

        stepper.step = timed
        try:
            t0 = time.perf_counter()
            rate = in_flight(gen, args.seconds, POSTING_LENGTH, 16)
            total = time.perf_counter() - t0
        finally:
            stepper.step = step
        print(f"{path}: {rate:,.0f} chars/s, 16 in flight; the model step {spent[0] / total:.0%} of {total:.1f} s",
              flush=True)


if __name__ == "__main__":
    main()
