"""The Muse public jobs API: GET /api/public/jobs?page=N&location=...&category=...

Pages are numbered from 0, 20 results each; a response says how many pages there are
(`page_count`). `contents` is HTML. Saved dumps come either as raw page bodies
({"page", "page_count", "results": [...]}) or as bare arrays of results objects.
"""

from __future__ import annotations

from typing import Iterator

from ..matching import canonical_city, words
from ..posting import Failure, Posting, Skip
from ..errors import FetchError, ParseError
from ..matching import Query
from .base import Source

# What The Muse calls the cities users most often ask for, by canonical name (matching.ALIASES).
LOCATIONS = {
    "seattle": ["Seattle, WA"],
    "new york": ["New York, NY", "New York City Metro Area"],
    "san francisco": ["San Francisco, CA", "San Francisco Bay Area"],
    "san francisco bay area": ["San Francisco Bay Area", "San Francisco, CA"],
    "chicago": ["Chicago, IL"],
    "boston": ["Boston, MA"],
    "los angeles": ["Los Angeles, CA"],
    "austin": ["Austin, TX"],
    "denver": ["Denver, CO"],
    "washington": ["Washington, DC"],
    "remote": ["Flexible / Remote"],
}

# Title words -> Muse categories, so the API narrows before we filter titles ourselves.
CATEGORIES = [
    (("scientist", "science", "machine", "ml", "ai"), ["Data Science"]),
    (("data", "analyst", "analytics"), ["Data and Analytics", "Data Science"]),
    (("engineer", "developer", "software", "programmer", "devops", "sre"), ["Software Engineering"]),
    (("product",), ["Product Management"]),
    (("designer", "design", "ux", "ui"), ["Design and UX"]),
    (("project", "program"), ["Project Management"]),
    (("marketing",), ["Marketing"]),
    (("sales", "account"), ["Sales"]),
    (("recruiter", "recruiting", "hr"), ["Human Resources and Recruitment"]),
]


def muse_locations(city: str) -> list[str]:
    return LOCATIONS.get(canonical_city(city), [city])


def muse_categories(title: str) -> list[str]:
    """The categories whose keywords meet the title's words; empty means search them all."""
    ws = set(words(title))
    found: list[str] = []
    for keys, cats in CATEGORIES:
        if ws & set(keys):
            found.extend(c for c in cats if c not in found)
    return found


class MuseSource(Source):
    name = "themuse"
    base_url = "https://www.themuse.com"
    filters_server_side = True

    def search(self, query: Query) -> Iterator[Posting | Skip]:
        params: list[tuple[str, str]] = []
        if query.city:
            params += [("location", loc) for loc in muse_locations(query.city)]
        if query.title:
            params += [("category", c) for c in muse_categories(query.title)]
        page, page_count = 0, 1
        while page < page_count:
            try:
                resp, body = self.fetcher.get_json(f"{self.api}/api/public/jobs", [("page", str(page)), *params])
                if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                    raise ParseError(f"{resp.url}: not a Muse jobs page (no results list)")
            except (FetchError, ParseError) as exc:
                if page == 0:
                    raise  # how many pages there are is not known yet
                # The pages after it are still fetched; the run reports the gap and fails.
                yield Failure(f"page {page} of {page_count}: {exc}")
                page += 1
                continue
            page_count = int(body.get("page_count") or 0)
            yield from self.parse(body, resp.fetched_at)
            page += 1

    def parse(self, data, fetched_at: str, origin: str = "") -> Iterator[Posting | Skip]:
        for result in _results(data):
            if not isinstance(result, dict) or "id" not in result:
                yield Skip("not a Muse job object")
                continue
            title = (result.get("name") or "").strip()
            contents = result.get("contents") or ""
            if not contents.strip():
                yield Skip("no description")
                continue
            yield Posting(
                source=self.name,
                source_id=str(result["id"]),
                title=title,
                company=((result.get("company") or {}).get("name") or "").strip(),
                locations=[loc.get("name", "") for loc in result.get("locations") or [] if isinstance(loc, dict)],
                url=(result.get("refs") or {}).get("landing_page", ""),
                description_html=contents,
                fetched_at=fetched_at,
            )


def _results(data) -> list:
    """Results objects from a page body, an array of them, or an array of page bodies."""
    if isinstance(data, dict):
        if isinstance(data.get("results"), list):
            return data["results"]
        raise ParseError("not a Muse jobs page: no 'results' list")
    if isinstance(data, list):
        out = []
        for item in data:
            if isinstance(item, dict) and isinstance(item.get("results"), list) and "id" not in item:
                out.extend(item["results"])
            else:
                out.append(item)
        return out
    raise ParseError("not Muse jobs data: expected an object or an array")
