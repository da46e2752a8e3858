"""Greenhouse job boards: GET /v1/boards/<token>/jobs?content=true

`content` is entity-escaped HTML ("&lt;p&gt;..."): unescaped once here, then parsed.
The API cannot filter by city or title; the caller does.
"""

from __future__ import annotations

import html

from ..posting import Posting, Skip
from .base import BoardSource


class GreenhouseSource(BoardSource):
    name, api_name, base_url = "greenhouse", "Greenhouse", "https://boards-api.greenhouse.io"
    path, params = "v1/boards/{name}/jobs", {"content": "true"}

    def posting(self, job: dict, fetched_at: str, origin: str) -> Posting | Skip:
        content = html.unescape(job.get("content") or "")
        if not content.strip():
            return Skip("no description")
        locations = [(job.get("location") or {}).get("name", "")]
        locations += [o.get("location") or o.get("name", "") for o in job.get("offices") or [] if isinstance(o, dict)]
        return Posting(source=self.name, source_id=str(job["id"]), title=(job.get("title") or "").strip(),
                       company=(job.get("company_name") or "").strip(),
                       locations=[loc for loc in dict.fromkeys(locations) if loc], url=job.get("absolute_url", ""),
                       description_html=content, fetched_at=fetched_at)
