"""A model's postings beside real ones', posting by posting (BENCHMARKS.md, "Word shares"):

    python benchmarks/posting_figures.py CKPT SAMPLES [SAMPLES ...]

SAMPLES: postings written by `python -m charlm.evaluate CKPT --samples FILE` (the first 200 read),
against the checkpoint's val split. Prints for each:
- words: for each of the train split's 500 commonest body words, the share of postings whose body
  uses it; the mean gap to real val's, and how many words are more than 15 points off;
- lists: per fifth of a posting's length, how many lists start there and their items at the median;
- how far a posting goes on past the first line of its equal-opportunity statement, which closes a
  real one.
"""

import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from charlm import checkpoint as ckpt_io  # noqa: E402
from charlm.data import read_corpus  # noqa: E402
from charlm.sampling.word_shares import body_counts  # noqa: E402
from dreamjobs.corpus_format import split_documents  # noqa: E402

COMMONEST, OFF = 500, 0.15
LIST = re.compile(r"<ul>(.*?)</ul>", re.S)
STATEMENT = re.compile(r"equal opportunity|sexual orientation|without regard", re.I)


def word_shares(postings: list[str]) -> dict[str, float]:
    return {w: n / len(postings) for w, n in body_counts(postings)[1].items()}


def words(postings: list[str], real: dict[str, float], top: list[str]) -> str:
    own = word_shares(postings)
    gaps = [own.get(w, 0.0) - real.get(w, 0.0) for w in top]
    return (f"words: mean gap {sum(map(abs, gaps)) / len(gaps):.3f} over the {len(top)} commonest, "
            f"{sum(abs(g) > OFF for g in gaps)} more than {OFF * 100:.0f} points off")


def shape(postings: list[str]) -> str:
    fifths: dict[int, list[int]] = {f: [] for f in range(5)}
    for p in postings:
        for m in LIST.finditer(p):
            fifths[min(4, 5 * m.start() // len(p))].append(m.group(1).count("<li>"))
    lists = "  ".join(f"{f + 1}/5: {len(n)} of {statistics.median(n) if n else 0:g}" for f, n in fifths.items())
    after = [len(p) - m.start() for p in postings if (m := STATEMENT.search(p))]
    past = (f"{len(after)} of {len(postings)} have one, going on {statistics.median(after):,.0f} characters past it"
            if after else "none has one")
    return f"lists (count of items at the median) by fifth  {lists}\n  equal-opportunity statement: {past}"


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    ckpt = ckpt_io.load(ckpt_io.resolve(sys.argv[1]))
    split = ckpt_io.training_split(ckpt, read_corpus(ckpt["train_config"]["data"]))
    top = [w for w, _ in body_counts(split.train)[1].most_common() if w.isalpha()][:COMMONEST]
    real = word_shares(split.val)
    print(f"real val ({len(split.val)}):\n  {shape(split.val)}")
    for path in sys.argv[2:]:
        postings = split_documents(Path(path).read_text())[:200]
        print(f"{path}:\n  {words(postings, real, top)}\n  {shape(postings)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
