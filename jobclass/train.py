"""Train the job classifier on the corpus and report how it does: `python -m jobclass.train --help`.

Labels come from the titles (labels.py); the classifier sees the body only. The
postings are split by company (a quarter of the companies held out), so a company's
boilerplate cannot carry a label from training into the test. Every approach is
scored on the same split: macro-F1 and accuracy per head, and the per-class table.
The chosen approach is then fitted on every posting and saved.
"""

from __future__ import annotations

import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, classification_report, f1_score
from sklearn.model_selection import GroupShuffleSplit

from dreamjobs.cli import UserError, parser, run_cli

from .dataset import Example, read_examples
from .model import APPROACHES, DEFAULT_PATH, HEADS, JobClassifier



def company_split(examples: list[Example], test_share: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices of train and test postings; no company has postings on both sides."""
    split = GroupShuffleSplit(n_splits=1, test_size=test_share, random_state=seed)
    train, test = next(split.split(examples, groups=[e.company or f"#{i}" for i, e in enumerate(examples)]))
    return list(train), list(test)


def score(examples: list[Example], train: list[int], test: list[int], approach: str) -> dict:
    """Fit on train, report on test: per head macro-F1, accuracy and the per-class table."""
    started = time.monotonic()
    clf = JobClassifier.fit([examples[i].body for i in train],
                            {h: [getattr(examples[i], h) for i in train] for h in HEADS}, approach)
    predicted = clf.predict_bodies([examples[i].body for i in test])
    result = {"approach": approach, "seconds": time.monotonic() - started}
    for head in HEADS:
        truth = [getattr(examples[i], head) for i in test]
        guess = [getattr(p, head) for p in predicted]
        result[head] = {"macro_f1": f1_score(truth, guess, average="macro", zero_division=0),
                        "accuracy": accuracy_score(truth, guess),
                        "table": classification_report(truth, guess, digits=3, zero_division=0)}
    return result


def report(r: dict, n_train: int, n_test: int) -> str:
    lines = [f"## {r['approach']} ({n_train:,} postings to train, {n_test:,} of other companies to test; "
             f"{r['seconds']:.0f} s)"]
    for head in HEADS:
        h = r[head]
        lines += [f"{head}: macro-F1 {h['macro_f1']:.3f}, accuracy {h['accuracy']:.3f}", "```", h["table"].rstrip(),
                  "```"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = parser("python -m jobclass.train", __doc__)
    p.add_argument("--corpus-dir", default="corpus", help="the scraper's corpus folder (default corpus)")
    p.add_argument("--out", default=DEFAULT_PATH, help=f"where to save the classifier (default {DEFAULT_PATH})")
    p.add_argument("--approach", choices=APPROACHES, default=APPROACHES[0],
                   help=f"the approach to ship (default {APPROACHES[0]}, the better one on this corpus)")
    p.add_argument("--compare", action="store_true", help="also score every other approach on the same split")
    p.add_argument("--test-share", type=float, default=0.25, help="share of companies held out (default 0.25)")
    p.add_argument("--seed", type=int, default=0, help="seed of the company split (default 0)")
    args = p.parse_args(argv)
    if not 0 < args.test_share < 1:
        p.error("--test-share must be between 0 and 1")
    try:
        examples = read_examples(args.corpus_dir)
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None
    if len(examples) < 20:  # (a corpus of one family is refused by JobClassifier.fit, with the family named)
        raise UserError(f"{args.corpus_dir} has {len(examples)} postings, too few to learn from")
    train, test = company_split(examples, args.test_share, args.seed)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    for approach in ([args.approach] + [a for a in APPROACHES if a != args.approach] if args.compare
                     else [args.approach]):
        print(report(score(examples, train, test, approach), len(train), len(test)), flush=True)
    clf = JobClassifier.fit([e.body for e in examples], {h: [getattr(e, h) for e in examples] for h in HEADS},
                            args.approach)
    clf.save(args.out)
    print(f"saved {args.approach}, fitted on all {len(examples):,} postings -> {args.out}")
    return 0


if __name__ == "__main__":
    run_cli(main)
