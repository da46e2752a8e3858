"""Ashby job boards: GET /posting-api/job-board/<org>?includeCompensation=true.

The public job-board API answers {"jobs": [...]}; each job has an `id`, `title`,
`location` (and maybe `secondaryLocations`: [{"location": ...}]), `department`,
`descriptionHtml` and/or `descriptionPlain`, `jobUrl` and `isListed`. Unlisted jobs
are skipped. The API names no company; the board's name is the company.
"""

from __future__ import annotations

import html
from typing import Iterator

from ..errors import ParseError
from ..posting import Posting, Skip
from ..matching import Query
from .base import Source


class AshbySource(Source):
    name = "ashby"
    base_url = "https://api.ashbyhq.com"

    def search(self, query: Query) -> Iterator[Posting | Skip]:
        return self.fetch_each(self.input.boards, "posting-api/job-board/{name}", {"includeCompensation": "true"})

    def parse(self, data, fetched_at: str, origin: str = "") -> Iterator[Posting | Skip]:
        """`origin`: the board's name, which the API does not repeat."""
        if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
            raise ParseError("not an Ashby job board response: expected an object with a jobs list")
        for job in data["jobs"]:
            if not isinstance(job, dict) or "id" not in job:
                yield Skip("not an Ashby job object")
                continue
            title = str(job.get("title") or "").strip()
            if job.get("isListed") is False:
                yield Skip("unlisted")
                continue
            body = job.get("descriptionHtml") or ""
            if not body.strip() and (job.get("descriptionPlain") or "").strip():
                body = "".join(f"<p>{html.escape(par)}</p>" for par in job["descriptionPlain"].split("\n\n") if par.strip())
            if not body.strip():
                yield Skip("no description")
                continue
            locations = [job.get("location") or ""]
            locations += [s.get("location") or "" for s in job.get("secondaryLocations") or [] if isinstance(s, dict)]
            url = job.get("jobUrl") or ""
            yield Posting(
                source=self.name,
                source_id=str(job["id"]),
                title=title,
                company=origin or _org_from_url(url),
                locations=[loc for loc in dict.fromkeys(locations) if loc],
                url=url,
                description_html=body,
                fetched_at=fetched_at,
            )


def _org_from_url(url: str) -> str:
    # https://jobs.ashbyhq.com/<org>/<job id>
    parts = [seg for seg in url.split("/")[3:] if seg]
    return parts[0] if parts else ""
