"""Greenhouse job boards: GET /v1/boards/<token>/jobs?content=true

`content` is entity-escaped HTML ("&lt;p&gt;..."): unescaped once here, then parsed.
The API cannot filter by city or title; the caller does.
"""

from __future__ import annotations

import html
from typing import Iterator

from ..errors import ParseError
from ..posting import Posting, Skip
from ..matching import Query
from .base import Source


class GreenhouseSource(Source):
    name = "greenhouse"
    base_url = "https://boards-api.greenhouse.io"

    def search(self, query: Query) -> Iterator[Posting | Skip]:
        return self.fetch_each(self.input.boards, "v1/boards/{name}/jobs", {"content": "true"})

    def parse(self, data, fetched_at: str, origin: str = "") -> Iterator[Posting | Skip]:
        if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
            raise ParseError("not a Greenhouse jobs response: no 'jobs' list")
        for job in data["jobs"]:
            if not isinstance(job, dict) or "id" not in job:
                yield Skip("not a Greenhouse job object")
                continue
            content = html.unescape(job.get("content") or "")
            title = (job.get("title") or "").strip()
            if not content.strip():
                yield Skip("no description")
                continue
            locations = [(job.get("location") or {}).get("name", "")]
            locations += [o.get("location") or o.get("name", "") for o in job.get("offices") or []
                          if isinstance(o, dict)]
            yield Posting(
                source=self.name,
                source_id=str(job["id"]),
                title=title,
                company=(job.get("company_name") or "").strip(),
                locations=[loc for loc in dict.fromkeys(locations) if loc],
                url=job.get("absolute_url", ""),
                description_html=content,
                fetched_at=fetched_at,
            )
