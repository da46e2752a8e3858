"""How far a model's postings' words are from real ones', posting by posting (BENCHMARKS.md, "Word shares"):

    python benchmarks/word_gaps.py CKPT SAMPLES [SAMPLES ...]

SAMPLES: postings written by `python -m charlm.evaluate CKPT --samples FILE` (the first 200 read).
For each of the train split's 500 commonest body words, the share of postings whose body uses it,
generated against the checkpoint's val split; prints the mean gap and how many words are more than
15 points off.
"""

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from charlm import checkpoint as ckpt_io  # noqa: E402
from charlm.data import read_corpus  # noqa: E402
from charlm.sampling.word_shares import body_counts  # noqa: E402
from dreamjobs.corpus_format import split_documents  # noqa: E402

COMMONEST, OFF = 500, 0.15


def shares(postings: list[str]) -> dict[str, float]:
    return {w: n / len(postings) for w, n in body_counts(postings)[1].items()}


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    ckpt = ckpt_io.load(ckpt_io.resolve(sys.argv[1]))
    split = ckpt_io.training_split(ckpt, read_corpus(ckpt["train_config"]["data"]))
    top = [w for w, _ in body_counts(split.train)[1].most_common() if w.isalpha()][:COMMONEST]
    real = shares(split.val)
    for path in sys.argv[2:]:
        own = shares(split_documents(Path(path).read_text())[:200])
        gaps = [own.get(w, 0.0) - real.get(w, 0.0) for w in top]
        print(f"{path}: mean gap {sum(map(abs, gaps)) / len(gaps):.3f} over the {COMMONEST} commonest body words; "
              f"{sum(abs(g) > OFF for g in gaps)} more than {OFF * 100:.0f} points off")
    return 0


if __name__ == "__main__":
    sys.exit(main())
