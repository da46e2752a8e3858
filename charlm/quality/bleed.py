"""Bleed: a posting whose body names another company than its own, as a model does when it
writes one company's boilerplate into another's posting (it has lost its header from view).
Beside it, the share of postings whose body names their own company, as 79% of this
corpus's real val postings do: a model that names no company at all has no bleed either.

The companies looked for are the corpus's most frequent (they own the boilerplate a model
learns by heart). A mention is "near" when it starts within HEADER_REACH characters of the
end of the frame (the header still in a 256-character window's view) and "far" beyond it.
"""

from __future__ import annotations

import html
from collections import Counter

from dreamjobs.corpus_format import FRAME_ELEMENTS, frame_fields, mention

TOP_COMPANIES = 20
HEADER_REACH = 256


def top_companies(postings: list[str], k: int = TOP_COMPANIES) -> list[str]:
    """The k companies that head the most postings."""
    counts = Counter(f[1] for f in map(frame_fields, postings) if f is not None)
    return [name for name, _ in counts.most_common(k)]


def own_and_body(posting: str) -> tuple[str, str] | None:
    """A posting's company and its body's text (entities decoded), or None without a frame."""
    frame = FRAME_ELEMENTS.search(posting)
    return (html.unescape(frame.group(2)).strip(), html.unescape(posting[frame.end():])) if frame else None


def first_foreign_mention(posting: str, companies: list[str]) -> int | None:
    """Characters from the end of the frame to the first mention of a company other than the
    posting's own (a name inside the own one, or holding it, is the own); None where there is none."""
    found = own_and_body(posting)
    if found is None:
        return None
    own, body = found[0].lower(), found[1]
    starts = [m.start() for name in companies if name.lower() not in own and own not in name.lower()
              for m in [mention(name).search(body)] if m]
    return min(starts) if starts else None


def names_own(posting: str) -> bool:
    """Whether a posting's body names the company its frame does."""
    found = own_and_body(posting)
    return bool(found and found[0]) and mention(found[0]).search(found[1]) is not None


def bleed(postings: list[str], companies: list[str]) -> dict[str, float]:
    """The share of postings whose body names another top company (in all, near the header and
    beyond it) and the share whose body names its own."""
    found = [first_foreign_mention(p, companies) for p in postings]
    n = max(1, len(postings))
    return {"bleed": sum(f is not None for f in found) / n,
            "near": sum(f is not None and f <= HEADER_REACH for f in found) / n,
            "far": sum(f is not None and f > HEADER_REACH for f in found) / n,
            "own": sum(map(names_own, postings)) / n}
