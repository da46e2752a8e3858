"""Where a posting's body leaves its title: the job classifier's agreement on stretches of the body.

    python benchmarks/agreement_by_stretch.py [--real CKPT] FILE [FILE ...]

For each file of postings (charlm.evaluate --samples, or real ones), the share of titled
postings whose body reads as their title's job family (python -m jobclass.predict
--agreement), read on the first 1,000 characters of the body's visible text, the next 1,000,
the next 2,000 and the rest (a stretch of fewer than jobclass.predict's MIN_WORDS words is
left out). A body that drifts off its title late (a model that forgets its header) agrees
early and not late; one that never follows its title agrees in neither. --real CKPT adds a
row for the val split of CKPT's corpus.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from charlm import checkpoint as ckpt_io  # noqa: E402
from charlm.data import read_corpus  # noqa: E402
from dreamjobs.corpus_format import split_documents  # noqa: E402
from jobclass import agreement  # noqa: E402
from jobclass.dataset import body_text  # noqa: E402
from jobclass.model import DEFAULT_PATH, JobClassifier  # noqa: E402
from jobclass.predict import MIN_WORDS  # noqa: E402

STRETCHES = [(0, 1000), (1000, 2000), (2000, 4000), (4000, None)]


def shares(clf: JobClassifier, postings: list[str]) -> list[str]:
    bodies = [body_text(p) for p in postings]
    out = []
    for a, b in STRETCHES:
        chosen = [(p, body[a:b]) for p, body in zip(postings, bodies) if len(body[a:b].split()) >= MIN_WORDS]
        labels = clf.predict_bodies([text for _, text in chosen]) if chosen else []
        agreed = [x for x in map(agreement, [p for p, _ in chosen], labels) if x is not None]
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
