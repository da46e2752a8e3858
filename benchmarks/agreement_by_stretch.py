"""Where a posting's body leaves its title: the job classifier's agreement on stretches of the body.

    python benchmarks/agreement_by_stretch.py [--real CKPT] FILE [FILE ...]

For each file of postings (charlm.evaluate --samples, or real ones), the share of titled
postings whose body reads as their title's job family (python -m jobclass.predict
--agreement), read on the body's first 1,000 characters, the next 1,000, the next 2,000 and
the rest, each stretch given the posting's frame. A body that drifts off its title late
(a model that forgets its header) agrees early and not late; one that never follows its
title agrees in neither. --real CKPT adds a row for the val split of CKPT's corpus.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from charlm import checkpoint as ckpt_io  # noqa: E402
from charlm.data import read_corpus  # noqa: E402
from dreamjobs.corpus_format import TAG, split_documents  # noqa: E402
from jobclass import agreement  # noqa: E402
from jobclass.model import DEFAULT_PATH, JobClassifier  # noqa: E402

STRETCHES = [(0, 1000), (1000, 2000), (2000, 4000), (4000, None)]
FRAME_END = "</h3>\n"


def stretch(posting: str, start: int, end: int | None) -> str:
    cut = posting.find(FRAME_END) + len(FRAME_END)
    return posting[:cut] + "<p>" + TAG.sub(" ", posting[cut:][start:end]) + "</p>\n</body>\n</html>\n"


def shares(clf: JobClassifier, postings: list[str]) -> list[str]:
    out = []
    for a, b in STRETCHES:
        parts = [stretch(p, a, b) for p in postings if FRAME_END in p and (b is None or len(p) > a)]
        parts = [p for p in parts if len(p.split()) > 40]  # a stretch with words to judge
        agreed = [x for x in map(agreement, parts, clf.predict(parts)) if x is not None] if parts else []
        out.append(f"{sum(agreed) / len(agreed):.0%} of {len(agreed)}" if agreed else "none")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="*")
    p.add_argument("--real", metavar="CKPT", help="also the val split of this checkpoint's corpus")
    args = p.parse_args()
    clf = JobClassifier.load(DEFAULT_PATH)
    rows = [(name, split_documents(Path(name).read_text(encoding="utf-8"))) for name in args.files]
    if args.real:
        ckpt = ckpt_io.load(args.real)
        rows.append(("real val", ckpt_io.training_split(ckpt, read_corpus(ckpt["train_config"]["data"])).val))
    names = [f"{a:,}-{b:,}" if b else f"{a:,}-" for a, b in STRETCHES]
    print("| postings | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for name, postings in rows:
        print(f"| {name} | " + " | ".join(shares(clf, postings)) + " |")


if __name__ == "__main__":
    main()
