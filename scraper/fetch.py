"""Polite HTTP for every source: one place for identity, robots.txt, pacing, retries and caching.

- A User-Agent naming the project and a contact URL.
- robots.txt obeyed per host (RFC 9309: a 4xx robots.txt allows everything, a 5xx one
  disallows everything for this run; an unreachable host is reported as such).
- A minimum delay between two requests to the same host.
- Retries on 429/500/502/503/504, timeouts and connection errors, with exponential
  backoff that honours Retry-After, bounded in count and in wait.
- Every successful response cached on disk under its URL, so a re-run fetches nothing
  twice; a JSON response only once it parsed (get_json): a body cut short or garbled
  is retried like a 5xx and never replayed from the cache.
"""

from __future__ import annotations

import codecs
import email.utils
import hashlib
import json
import re
import time
import urllib.robotparser
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import charset_normalizer
import requests
from bs4.dammit import EncodingDetector

from dreamjobs.files import atomic_write

from .errors import FetchError, RobotsDisallowed

PROJECT_URL = "https://github.com/dreamjobs/dreamjobs"
RETRY_STATUS = {429, 500, 502, 503, 504}


@dataclass
class Response:
    url: str
    status: int
    text: str
    fetched_at: str
    from_cache: bool = False

    def json(self):
        return json.loads(self.text)


def check_web_url(url: str, what: str) -> None:
    """Only http(s) URLs with a host are fetched: file://, ftp:// or a bare word are refused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FetchError(f"{what} must be an http:// or https:// URL, got {url!r}")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def _codec(name: str | None) -> str | None:
    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None


def decode_body(content: bytes, content_type: str | None) -> str:
    """Bytes to text as a browser decodes a page (WHATWG): a BOM, then the Content-Type
    header's charset, then the page's own <meta charset>, then UTF-8 if the bytes are UTF-8,
    then detection. (requests alone takes Latin-1 for any text/* without a charset.)"""
    for bom, name in BOMS:
        if content.startswith(bom):
            return content[len(bom):].decode(name, errors="replace")
    m = CHARSET.search(content_type or "")
    name = _codec(m.group(1)) if m else None
    if name is None and "html" in (content_type or "text/html"):
        name = _codec(EncodingDetector.find_declared_encoding(content[:8192], is_html=True))
    if name is None:
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            best = charset_normalizer.from_bytes(content).best()
            name = _codec(best.encoding if best else None) or "windows-1252"
    return content.decode(name, errors="replace")


class Fetcher:
    def __init__(self, cache_dir: str | Path | None, contact: str = PROJECT_URL, delay: float = 1.0,
                 timeout: float = 30.0, retries: int = 4, backoff: float = 1.0, max_wait: float = 120.0,
                 sleep=time.sleep):
        self.cache_dir = Path(cache_dir) if cache_dir else None
        # Sites see who asks and where to reach us.
        self.user_agent = user_agent = f"dreamjobs-scraper/0.1 (+{contact})"
        self.delay = delay
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": user_agent, "Accept": "application/json, text/html;q=0.9"})
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}

    # -- cache ----------------------------------------------------------------------------------

    def _cache_path(self, url: str) -> Path | None:
        if not self.cache_dir:
            return None
        host = urlsplit(url).netloc.replace(":", "_") or "local"
        return self.cache_dir / host / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".json")

    def _cache_read(self, url: str) -> Response | None:
        path = self._cache_path(url)
        if not path or not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Response(data["url"], data["status"], data["text"], data["fetched_at"], from_cache=True)
        except (OSError, ValueError, KeyError):
            return None  # a damaged cache entry is simply fetched again

    def _cache_write(self, resp: Response) -> None:
        path = self._cache_path(resp.url)
        if not path:
            return
        atomic_write(path, json.dumps({"url": resp.url, "status": resp.status, "fetched_at": resp.fetched_at,
                                       "text": resp.text}))

    # -- politeness -----------------------------------------------------------------------------

    def _pace(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            wait = self.delay - (time.monotonic() - last)
            if wait > 0:
                self.sleep(wait)
        self._last_request[host] = time.monotonic()

    def _robots_for(self, url: str) -> tuple[urllib.robotparser.RobotFileParser, str]:
        """The host's robots rules, and why they are what they are when not from a robots.txt."""
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        if base not in self._robots:
            parser, why = urllib.robotparser.RobotFileParser(base + "/robots.txt"), ""
            try:
                parser.parse(self._send(base + "/robots.txt").text.splitlines())
            except FetchError as exc:
                if exc.status is None:
                    raise  # the host itself is unreachable: say that, not "disallowed"
                if exc.status < 500:
                    parser.allow_all = True
                else:
                    parser.disallow_all = True
                    why = f" (its robots.txt answered HTTP {exc.status}, which disallows everything)"
            self._robots[base] = (parser, why)
        return self._robots[base]

    def check_allowed(self, url: str) -> None:
        parser, why = self._robots_for(url)
        if not parser.can_fetch(self.user_agent, url):
            raise RobotsDisallowed(f"robots.txt disallows {url}{why}")

    # -- requests -------------------------------------------------------------------------------

    def get(self, url: str, params: dict | list | None = None) -> Response:
        """GET a URL, from the cache when it was fetched before; raises FetchError for good failures."""
        full = requests.Request("GET", url, params=params).prepare().url
        cached = self._cache_read(full)
        if cached:
            return cached
        self.check_allowed(full)
        resp = self._send(full)
        self._cache_write(resp)
        return resp

    def get_json(self, url: str, params: dict | list | None = None) -> tuple[Response, object]:
        """GET a JSON document: (the response, its decoded body); raises FetchError for good failures."""
        full = requests.Request("GET", url, params=params).prepare().url
        cached = self._cache_read(full)
        if cached:
            try:
                return cached, json.loads(cached.text)
            except ValueError:
                pass  # a body an older version cached before parsing it: fetch it again
        self.check_allowed(full)
        for attempt in range(self.retries + 1):
            resp = self._send(full)
            try:
                data = json.loads(resp.text)
            except ValueError as exc:
                problem = f"{exc.msg} at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else str(exc)
                if attempt < self.retries:
                    self.sleep(min(self.backoff * 2 ** attempt, self.max_wait))
                continue
            self._cache_write(resp)
            return resp, data
        raise FetchError(f"{full} answered HTTP 200 with malformed JSON ({problem}), "
                         f"{self.retries + 1} times", 200)

    def _send(self, url: str) -> Response:
        host = urlsplit(url).netloc
        attempt = 0
        while True:
            self._pace(host)
            try:
                r = self.session.get(url, timeout=self.timeout)
            except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                    requests.exceptions.MissingSchema) as exc:
                raise FetchError(f"cannot fetch {url}: {exc}") from None
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                # A connection dropped mid-body arrives as a ChunkedEncodingError, not a ConnectionError.
                reason = ("timed out" if isinstance(exc, requests.Timeout) else
                          "unreachable" if isinstance(exc, requests.ConnectionError) else "dropped the connection")
                if attempt >= self.retries:
                    raise FetchError(f"{host} {reason} after {attempt + 1} tries ({url})") from None
                wait = self.backoff * 2 ** attempt
            else:
                if r.status_code == 200:
                    return Response(url, 200, decode_body(r.content, r.headers.get("Content-Type")), now_iso())
                if r.status_code not in RETRY_STATUS or attempt >= self.retries:
                    raise FetchError(f"HTTP {r.status_code} from {url}"
                                     + (f" after {attempt + 1} tries" if attempt else ""), r.status_code)
                hinted = retry_after_seconds(r.headers.get("Retry-After"))
                wait = hinted if hinted is not None else self.backoff * 2 ** attempt
                if wait > self.max_wait:
                    raise FetchError(f"HTTP {r.status_code} from {url}: server asks to wait {wait:.0f}s, "
                                     f"more than the {self.max_wait:.0f}s limit; try again later", r.status_code)
            attempt += 1
            self.sleep(min(wait, self.max_wait))
