"""Label postings with the job classifier: `python -m jobclass.predict FILE...`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from common.cli import UserError, run_cli

from .model import JobClassifier
from .train import DEFAULT_OUT


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m jobclass.predict",
                                description="Print the job family and seniority level of each posting, with "
                                            "the classifier's confidence. The title is not looked at.")
    p.add_argument("files", nargs="+", metavar="FILE", help="postings in the corpus format (HTML)")
    p.add_argument("--classifier", default=DEFAULT_OUT, help=f"a saved classifier (default {DEFAULT_OUT})")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    args = p.parse_args(argv)
    clf = JobClassifier.load(args.classifier)
    texts = []
    for name in args.files:
        try:
            texts.append(Path(name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read {name}: {getattr(exc, 'strerror', None) or exc}") from None
    for name, labels in zip(args.files, clf.predict(texts)):
        if args.json:
            print(json.dumps({"file": name, **labels.public()}))
        else:
            print(f"{name}: {labels.family} ({labels.family_confidence:.0%}), "
                  f"{labels.level} ({labels.level_confidence:.0%})")
    return 0


if __name__ == "__main__":
    run_cli(main)
