"""The one record every source produces."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Posting:
    source: str
    source_id: str
    title: str
    company: str
    locations: list[str]
    url: str
    description_html: str  # the source's own HTML fragment, untrusted; simplify.py cleans it
    fetched_at: str = ""

    @property
    def location(self) -> str:
        return "; ".join(self.locations)


@dataclass
class Skip:
    """Something a source found but could not turn into a posting, with the reason why."""

    reason: str


@dataclass
class Failure:
    """A part of a search that failed for good (a page past its retries); the rest goes on."""

    message: str
