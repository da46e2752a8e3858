"""Lever postings: GET /v0/postings/<company>?mode=json, a bare array.

A posting's text is its `description` (HTML), then each of `lists` ({text, content}:
a heading and the <li> items of a list), then `additional` (HTML).
"""

from __future__ import annotations

import html
from typing import Iterator
from urllib.parse import urlsplit

from ..errors import ParseError
from ..posting import Posting, Skip
from ..matching import Query
from .base import Source


class LeverSource(Source):
    name = "lever"
    base_url = "https://api.lever.co"

    def search(self, query: Query) -> Iterator[Posting | Skip]:
        return self.fetch_each(self.input.companies, "v0/postings/{name}", {"mode": "json"})

    def parse(self, data, fetched_at: str, origin: str = "") -> Iterator[Posting | Skip]:
        """`origin`: the company's name on Lever, which the API does not repeat."""
        if not isinstance(data, list):
            raise ParseError("not a Lever postings response: expected an array")
        for p in data:
            if not isinstance(p, dict) or "id" not in p:
                yield Skip("not a Lever posting object")
                continue
            title = (p.get("text") or "").strip()
            description = p.get("description") or ((p.get("opening") or "") + (p.get("descriptionBody") or ""))
            parts = [description]
            for lst in p.get("lists") or []:
                if isinstance(lst, dict):
                    parts.append(f"<h4>{html.escape(lst.get('text') or '')}</h4><ul>{lst.get('content') or ''}</ul>")
            parts.append(p.get("additional") or "")
            body = "\n".join(x for x in parts if x)
            if not (description.strip() or p.get("lists")):
                yield Skip("no description")
                continue
            cats = p.get("categories") or {}
            locations = list(dict.fromkeys([cats.get("location") or "", *(cats.get("allLocations") or [])]))
            url = p.get("hostedUrl", "")
            yield Posting(
                source=self.name,
                source_id=str(p["id"]),
                # Lever's API names no company; the board's slug is the company.
                title=title,
                company=origin or _slug_from_url(url),
                locations=[loc for loc in locations if loc],
                url=url,
                description_html=body,
                fetched_at=fetched_at,
            )


def _slug_from_url(url: str) -> str:
    path = [seg for seg in urlsplit(url).path.split("/") if seg]
    return path[0] if path else ""
