"""The interface every source implements (JobSpy's shape): a typed input in, postings out.

    source = SOURCES["greenhouse"](fetcher, ScraperInput(boards=("luno",)))
    for item in source.search(Query(city="Seattle")):   # Posting | Skip | Failure
        ...

Each source reads the fields of ScraperInput it needs. `search` fetches live; `replay`
runs a saved response through the same `parse`, offline. Sources whose server filters
by city and title (filters_server_side) are searched once per query; the others once,
with every query matched on our side (scraper/gather.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import ClassVar, Iterator

from ..errors import ParseError
from ..fetch import Fetcher
from ..matching import Query
from ..posting import Failure, Posting, Skip


@dataclass(frozen=True)
class ScraperInput:
    """Where a source looks; each source reads the fields it needs (`python -m scraper --help`)."""

    boards: tuple[str, ...] = ()     # greenhouse board tokens; ashby job board names
    companies: tuple[str, ...] = ()  # lever company names
    urls: tuple[str, ...] = ()       # jsonld pages
    urls_file: Path | None = None    # jsonld: a file of URLs, one a line
    file: Path | None = None         # csv: a Kaggle/Glassdoor-style export
    base_url: str | None = None      # the source's API base URL, when not its public one (tests)


class Source:
    name: ClassVar[str] = ""
    base_url: ClassVar[str] = ""
    # The API filters by city and title itself: one search per query, not one for all.
    filters_server_side: ClassVar[bool] = False

    def __init__(self, fetcher: Fetcher | None, inp: ScraperInput = ScraperInput()):
        self.fetcher = fetcher
        self.input = inp
        self.api = (inp.base_url or self.base_url).rstrip("/")

    def search(self, query: Query) -> Iterator[Posting | Skip | Failure]:
        """Live: fetch what the query needs and yield what it holds, lazily, page by page.

        The caller filters by city and title and stops consuming at --limit, which
        stops the paging too.
        """
        raise NotImplementedError

    def fetch_each(self, names: tuple[str, ...], path: str, params: dict) -> Iterator[Posting | Skip]:
        """One JSON response per board or company name (`path` holds {name}), each parsed with
        that name as its origin: the shape of every job-board API here."""
        for name in names:
            resp, data = self.fetcher.get_json(f"{self.api}/{path.format(name=name)}", params)
            yield from self.parse(data, resp.fetched_at, name)

    def parse(self, data, fetched_at: str, origin: str = "") -> Iterator[Posting | Skip]:
        """One decoded response (or saved file) -> postings. `origin` is where it came from
        when the data does not say: the board, company, file or page URL."""
        raise NotImplementedError

    def replay(self, path: str | Path) -> Iterator[Posting | Skip]:
        """--from-file: a saved response run through the same parser, offline."""
        data = load_json_file(path)
        yield from self.parse(data, file_time(path))


class BoardSource(Source):
    """A job-board API (Greenhouse, Lever, Ashby): one JSON response per board or company
    name, holding a list of job objects, each with an id."""

    names: ClassVar[str] = "boards"  # the ScraperInput field that lists the names
    path: ClassVar[str] = ""  # the response's path, with {name}
    params: ClassVar[dict] = {}
    api_name: ClassVar[str] = ""  # how messages name the API: "Greenhouse"

    def search(self, query: Query) -> Iterator[Posting | Skip]:
        return self.fetch_each(getattr(self.input, self.names), self.path, self.params)

    def parse(self, data, fetched_at: str, origin: str = "") -> Iterator[Posting | Skip]:
        """`origin`: the board or company name, which some of these APIs do not repeat."""
        for job in self.jobs(data):
            if not isinstance(job, dict) or "id" not in job:
                yield Skip(f"not one of the {self.api_name} API's job objects")
            else:
                yield self.posting(job, fetched_at, origin)

    def jobs(self, data) -> list:
        """The response's job objects, {"jobs": [...]}; ParseError when it is not this API's response."""
        if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
            raise ParseError(f"not the {self.api_name} API's job board response: no 'jobs' list (expected an object "
                             "with a jobs list)")
        return data["jobs"]

    def posting(self, job: dict, fetched_at: str, origin: str) -> Posting | Skip:
        raise NotImplementedError


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
