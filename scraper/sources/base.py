"""The interface every source implements, and the query it answers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ..errors import ParseError
from ..fetch import Fetcher
from ..matching import any_city_matches, title_matches
from ..posting import Failure, Posting, Skip


@dataclass(frozen=True)
class Query:
    city: str | None = None
    title: str | None = None

    def label(self, source: str) -> str:
        parts = [source]
        if self.city:
            parts.append(f"city={self.city}")
        if self.title:
            parts.append(f"title={self.title}")
        return " ".join(parts)

    def matches(self, posting: Posting) -> bool:
        if self.city and not any_city_matches(self.city, posting.locations):
            return False
        return not self.title or title_matches(self.title, posting.title)


class Source:
    """Turns a query into postings. Subclasses set `name` and implement parse() and targets()."""

    name = ""
    base_url = ""

    def __init__(self, fetcher: Fetcher | None, options: dict):
        self.fetcher = fetcher
        self.options = options
        self.base_url = (options.get("base_url") or self.base_url).rstrip("/")

    def search(self, query: Query) -> Iterator[Posting | Skip | Failure]:
        """Live: fetch what the query needs and yield what it holds, lazily, page by page.

        The caller filters by city and title and stops consuming at --limit, which
        stops the paging too.
        """
        raise NotImplementedError

    def parse(self, data, fetched_at: str) -> Iterator[Posting | Skip]:
        """One decoded response (or saved file) -> postings."""
        raise NotImplementedError

    def replay(self, path: str | Path) -> Iterator[Posting | Skip]:
        """--from-file: a saved response run through the same parser, offline."""
        data = load_json_file(path)
        yield from self.parse(data, file_time(path))


def load_json_file(path: str | Path):
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParseError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"{path}: malformed JSON ({exc})") from None


def file_time(path: str | Path) -> str:
    return datetime.fromtimestamp(Path(path).stat().st_mtime, timezone.utc).isoformat(timespec="seconds")

