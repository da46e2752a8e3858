"""Lever postings: GET /v0/postings/<company>?mode=json, a bare array.

A posting's text is its `description` (HTML), then each of `lists` ({text, content}:
a heading and the <li> items of a list), then `additional` (HTML).
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from ..errors import ParseError
from ..posting import Posting, Skip
from .base import BoardSource


class LeverSource(BoardSource):
    name, api_name, base_url = "lever", "Lever", "https://api.lever.co"
    names, path, params = "companies", "v0/postings/{name}", {"mode": "json"}

    def jobs(self, data) -> list:
        if not isinstance(data, list):
            raise ParseError("not a Lever postings response: expected an array")
        return data

    def posting(self, p: dict, fetched_at: str, origin: str) -> Posting | Skip:
        description = p.get("description") or ((p.get("opening") or "") + (p.get("descriptionBody") or ""))
        parts = [description]
        for lst in p.get("lists") or []:
            if isinstance(lst, dict):
                parts.append(f"<h4>{html.escape(lst.get('text') or '')}</h4><ul>{lst.get('content') or ''}</ul>")
        parts.append(p.get("additional") or "")
        if not (description.strip() or p.get("lists")):
            return Skip("no description")
        cats = p.get("categories") or {}
        locations = list(dict.fromkeys([cats.get("location") or "", *(cats.get("allLocations") or [])]))
        url = p.get("hostedUrl", "")
        # Lever's API names no company; the board's slug is the company.
        return Posting(source=self.name, source_id=str(p["id"]), title=(p.get("text") or "").strip(),
                       company=origin or _slug_from_url(url), locations=[loc for loc in locations if loc], url=url,
                       description_html="\n".join(x for x in parts if x), fetched_at=fetched_at)


def _slug_from_url(url: str) -> str:
    path = [seg for seg in urlsplit(url).path.split("/") if seg]
    return path[0] if path else ""
