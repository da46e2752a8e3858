"""Label postings with the job classifier: `python -m jobclass.predict FILE...`.

A file may hold many postings (`python -m charlm.sample -n 5 > five.html`): it is cut
where each ends (</html>, the corpus format's end of posting), and each is labelled on
its own. Text that is not a posting in the corpus format gets a warning, as its labels
say little. --agreement adds how many titled postings have a body that reads as the job
family their title maps to.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dreamjobs.cli import UserError, parser, run_cli
from dreamjobs.corpus_format import DOC_START, split_documents

from . import agreement
from .model import DEFAULT_PATH, JobClassifier

MIN_WORDS = 20  # fewer words than this are too few to say what job a text is


def read_postings(names: list[str]) -> list[tuple[str, str]]:
    """(name, posting) for every posting of the files: "file" for a file of one, "file#k" for the k-th of many."""
    found = []
    for name in names:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read {name}: {getattr(exc, 'strerror', None) or exc}") from None
        if not text.strip():
            raise UserError(f"{name} is empty: there is no posting in it to label")
        docs = split_documents(text) or [text]
        found += [(name if len(docs) == 1 else f"{name}#{k}", doc) for k, doc in enumerate(docs, 1)]
    return found


def not_a_posting(text: str) -> str | None:
    """Why text is not a posting to judge, or None."""
    if DOC_START not in text:
        return f"it is not a posting in the corpus format (no {DOC_START})"
    if len(text.split()) < MIN_WORDS:
        return f"it has fewer than {MIN_WORDS} words"
    return None


def main(argv: list[str] | None = None) -> int:
    p = parser("python -m jobclass.predict", __doc__)
    p.add_argument("files", nargs="+", metavar="FILE", help="postings in the corpus format (HTML), one or many a file")
    p.add_argument("--classifier", default=DEFAULT_PATH, help=f"a saved classifier (default {DEFAULT_PATH})")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    p.add_argument("--agreement", action="store_true",
                   help="also print the share of titled postings whose body reads as their title's job family")
    args = p.parse_args(argv)
    clf = JobClassifier.load(args.classifier)
    postings = read_postings(args.files)
    found = clf.predict([text for _, text in postings])
    for (name, text), labels in zip(postings, found):
        why = not_a_posting(text)
        if why:
            print(f"warning: {name}: {why}; its labels say little", file=sys.stderr)
        if args.json:
            print(json.dumps({"file": name, **labels.public(), **({"warning": why} if why else {})}))
        else:
            print(f"{name}: {labels.family} ({labels.family_confidence:.0%}), "
                  f"{labels.level} ({labels.level_confidence:.0%})")
    if args.agreement:
        agreed = [a for a in (agreement(text, labels) for (_, text), labels in zip(postings, found)) if a is not None]
        share = f"{sum(agreed) / len(agreed):.0%}" if agreed else "none titled"
        print(f"body reads as its title's family: {sum(agreed)} of {len(agreed)} titled postings ({share})")
    return 0


if __name__ == "__main__":
    run_cli(main)
