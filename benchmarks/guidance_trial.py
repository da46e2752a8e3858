"""Classifier-free guidance, tried on the demos without training for it (not shipped; BENCHMARKS.md,
"The header in view"):

    python benchmarks/guidance_trial.py --weight W [--null lead|empty] CKPT [charlm.evaluate's options]

Each row gets a twin that reads the same body without its header: from the state after LEAD
(`lead`: the row's posting with no frame at all) or after an empty frame (`empty`). Once the
row's frame is written, the body is drawn from the logits c + (W - 1)(c - u), c the row's and
u its twin's (raw logits: the two differ from log-probabilities by a constant a row), as
"Stay on topic with Classifier-Free Guidance" does for language models. W 1 is no guidance.
Then charlm.evaluate runs as given (e.g. --realism -n 64 --length 12000 --json).
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from charlm import evaluate  # noqa: E402
from charlm.sampling.batch import Batch, start_ids  # noqa: E402
from charlm.sampling.generator import Generator  # noqa: E402
from dreamjobs.corpus_format import HEAD, TITLE_END  # noqa: E402

NULL_PRIMES = {"lead": "", "empty": HEAD + TITLE_END + "<h1></h1>\n<h2></h2>\n<h3></h3>\n"}


def guided(weight: float, null_prime: str):
    class GuidedBatch(Batch):
        def __init__(self, generator, capacity):
            super().__init__(generator, capacity)
            self.twin = generator.engine.stepper(capacity)
            self.null_ids = start_ids(self.vocab, null_prime)
            self.guided = set()  # the rows past their frame, whose twins read their body

        def _twin_starts(self, key):
            self.twin.put(self.keys.index(key), *self.twin.start(self.null_ids))
            self.guided.add(key)

        def add(self, key, settings, seed):
            added = super().add(key, settings, seed)
            if added and key not in self.frames:
                self._twin_starts(key)
            return added

        def remove(self, key):
            slot, last = self.keys.index(key), len(self.keys) - 1
            if slot != last:
                self.twin.move(last, slot)
            self.guided.discard(key)
            super().remove(key)

        def advance(self):
            c, u = self.stepper.logits, self.twin.logits
            for slot, key in enumerate(self.keys):
                if key in self.guided:
                    c[slot] = c[slot] + (weight - 1.0) * (c[slot] - u[slot])
            framing = set(self.frames)
            out = super().advance()
            if self.keys:
                self.twin.step(self.ids[:len(self.keys)])
            for key in framing - set(self.frames):
                if key in self.keys:
                    self._twin_starts(key)
            return out

    return GuidedBatch


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weight", type=float, required=True)
    p.add_argument("--null", choices=sorted(NULL_PRIMES), default="lead")
    args, rest = p.parse_known_args()
    batch = guided(args.weight, NULL_PRIMES[args.null])
    Generator.batch = lambda self, capacity: batch(self, capacity)
    return evaluate.main(rest)


if __name__ == "__main__":
    sys.exit(main())
