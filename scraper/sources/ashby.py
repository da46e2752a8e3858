"""Ashby job boards: GET /posting-api/job-board/<org>?includeCompensation=true.

The public job-board API answers {"jobs": [...]}; each job has an `id`, `title`,
`location` (and maybe `secondaryLocations`: [{"location": ...}]), `department`,
`descriptionHtml` and/or `descriptionPlain`, `jobUrl` and `isListed`. Unlisted jobs
are skipped. The API names no company; the board's name is the company.
"""

from __future__ import annotations

import html

from ..posting import Posting, Skip
from .base import BoardSource


class AshbySource(BoardSource):
    name, api_name, base_url = "ashby", "Ashby", "https://api.ashbyhq.com"
    path, params = "posting-api/job-board/{name}", {"includeCompensation": "true"}

    def posting(self, job: dict, fetched_at: str, origin: str) -> Posting | Skip:
        if job.get("isListed") is False:
            return Skip("unlisted")
        body = job.get("descriptionHtml") or ""
        if not body.strip() and (job.get("descriptionPlain") or "").strip():
            body = "".join(f"<p>{html.escape(par)}</p>" for par in job["descriptionPlain"].split("\n\n") if par.strip())
        if not body.strip():
            return Skip("no description")
        locations = [job.get("location") or ""]
        locations += [s.get("location") or "" for s in job.get("secondaryLocations") or [] if isinstance(s, dict)]
        url = job.get("jobUrl") or ""
        return Posting(source=self.name, source_id=str(job["id"]), title=str(job.get("title") or "").strip(),
                       company=origin or _org_from_url(url), locations=[loc for loc in dict.fromkeys(locations) if loc],
                       url=url, description_html=body, fetched_at=fetched_at)


def _org_from_url(url: str) -> str:
    # https://jobs.ashbyhq.com/<org>/<job id>
    parts = [seg for seg in url.split("/")[3:] if seg]
    return parts[0] if parts else ""
