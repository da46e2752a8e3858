"""Any page carrying schema.org JobPosting JSON-LD, as most career sites publish for search engines.

    <script type="application/ld+json">{"@type": "JobPosting", "title": ..., "description": ...}</script>

The JobPosting may sit at the top level, in a list, or in an "@graph". Its description
is HTML, sometimes entity-escaped once more; both are handled.
"""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path
from typing import Iterator

from bs4 import BeautifulSoup

from ..errors import ParseError
from ..fetch import check_web_url
from ..posting import Posting, Skip
from ..matching import Query
from .base import Source, file_time


class JsonLdSource(Source):
    name = "jsonld"

    def urls(self) -> list[str]:
        urls = list(self.input.urls)
        if self.input.urls_file:
            path = Path(self.input.urls_file)
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise ParseError(f"--urls-file {path}: {exc.strerror}") from None
            except UnicodeDecodeError:
                raise ParseError(f"--urls-file {path}: not a text file of URLs (it is not UTF-8)") from None
            urls += [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
        for url in urls:
            check_web_url(url, "a URL in --urls-file" if url not in self.input.urls else "--url")
        return list(dict.fromkeys(urls))

    def search(self, query: Query) -> Iterator[Posting | Skip]:
        for url in self.urls():
            resp = self.fetcher.get(url)
            yield from self.parse(resp.text, resp.fetched_at, url)

    def replay(self, path) -> Iterator[Posting | Skip]:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ParseError(f"{path}: cannot read ({exc})") from None
        yield from self.parse(text, file_time(path), Path(path).resolve().as_uri())

    def parse(self, data: str, fetched_at: str, origin: str = "") -> Iterator[Posting | Skip]:
        """`origin`: the page's URL, each posting's url when the JSON-LD names none."""
        page_url = origin
        found = list(job_postings(data))
        if not found:
            yield Skip("no JobPosting JSON-LD")
        for job in found:
            title = _text(job.get("title"))
            description = _text(job.get("description"))
            if "&lt;" in description and "<" not in description:
                description = html.unescape(description)
            if not description.strip():
                yield Skip("no description")
                continue
            url = _text(job.get("url")) or page_url
            ident = job.get("identifier")
            ident = _text(ident.get("value") if isinstance(ident, dict) else ident)
            yield Posting(
                source=self.name,
                source_id=ident or hashlib.sha256(url.encode()).hexdigest()[:16],
                title=title,
                company=_org_name(job.get("hiringOrganization")),
                locations=_locations(job),
                url=url,
                description_html=description,
                fetched_at=fetched_at,
            )


def job_postings(page: str) -> Iterator[dict]:
    soup = BeautifulSoup(page, "lxml")
    for script in soup.find_all("script", type=lambda t: t and t.strip().lower() == "application/ld+json"):
        try:
            data = json.loads(script.string or script.get_text() or "")
        except json.JSONDecodeError:
            continue  # one broken block does not hide the others
        yield from _walk(data)


def _walk(node) -> Iterator[dict]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, dict):
        kind = node.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if "JobPosting" in kinds:
            yield node
        for key in ("@graph", "mainEntity", "itemListElement", "item"):
            if key in node:
                yield from _walk(node[key])


def _text(value) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip() if value is not None and not isinstance(value, dict) else ""


def _org_name(org) -> str:
    if isinstance(org, list):
        org = org[0] if org else {}
    return _text(org.get("name")) if isinstance(org, dict) else _text(org)


def _locations(job: dict) -> list[str]:
    places = job.get("jobLocation") or []
    places = places if isinstance(places, list) else [places]
    out = []
    for place in places:
        addr = place.get("address") if isinstance(place, dict) else None
        if isinstance(addr, dict):
            region = addr.get("addressRegion")
            parts = [_text(addr.get("addressLocality")), _text(region.get("name") if isinstance(region, dict) else region)]
            country = addr.get("addressCountry")
            if not parts[1]:
                parts.append(_text(country.get("name") if isinstance(country, dict) else country))
            out.append(", ".join(p for p in parts if p))
        elif isinstance(addr, str):
            out.append(addr.strip())
    if _text(job.get("jobLocationType")).upper() == "TELECOMMUTE":
        out.append("Remote")
    return [loc for loc in dict.fromkeys(out) if loc]
