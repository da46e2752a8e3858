"""The labelled postings: each corpus page's body, and the labels its title maps to.

The body is what a reader sees below the frame: the title line and h1-h3 are cut out,
so the classifier never sees the title it is asked to guess.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from dreamjobs.corpus_format import FRAME_ELEMENTS, TITLE_LINE, visible_text

from .labels import family_of, level_of


def body_text(posting: str) -> str:
    """A posting's visible text without its frame (title line, h1, h2, h3)."""
    text = TITLE_LINE.sub(" ", posting)
    text = FRAME_ELEMENTS.sub(" ", text, count=1)
    return visible_text(text)


@dataclass(frozen=True)
class Example:
    body: str
    title: str
    company: str
    family: str
    level: str


def read_examples(corpus_dir: str | Path) -> list[Example]:
    """Every posting of corpus/manifest.jsonl whose page is in corpus/pages/."""
    corpus_dir = Path(corpus_dir)
    manifest = corpus_dir / "manifest.jsonl"
    if not manifest.is_file():
        raise FileNotFoundError(f"{manifest} not found; build the corpus first (make corpus, or python -m scraper)")
    examples = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            page = (corpus_dir / "pages" / entry["file"]).read_text(encoding="utf-8")
        except (json.JSONDecodeError, KeyError, OSError):
            continue  # a line cut short by a kill, or a page not written
        title = entry.get("title") or ""
        examples.append(Example(body_text(page), title, (entry.get("company") or "").strip().lower(),
                                family_of(title), level_of(title)))
    return examples
