import json
import socket
import time

import pytest
from werkzeug import Response

from scraper.errors import FetchError, RobotsDisallowed
from scraper.fetch import Fetcher, retry_after_seconds


class Clock:
    """Records the waits a Fetcher asks for, without spending them."""

    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(round(seconds, 3))


def fetcher(tmp_path, **kw):
    kw.setdefault("delay", 0)
    return Fetcher(tmp_path / "cache", **kw)


def test_identifies_itself_with_a_contact_url(site, tmp_path):
    site.expect_request("/jobs").respond_with_json({"ok": True})
    f = fetcher(tmp_path, contact="https://example.org/contact")
    f.get(site.url_for("/jobs"))
    request = site.log[-1][0]
    assert request.headers["User-Agent"] == "dreamjobs-scraper/0.1 (+https://example.org/contact)"


def test_robots_txt_disallowed_paths_are_not_fetched(site, tmp_path):
    site.expect_request("/private/jobs").respond_with_json({"secret": 1})
    with pytest.raises(RobotsDisallowed, match="robots.txt disallows"):
        fetcher(tmp_path).get(site.url_for("/private/jobs"))
    assert [r.path for r, _ in site.log] == ["/robots.txt"]


def test_missing_robots_txt_allows_everything(httpserver, tmp_path):
    httpserver.expect_request("/robots.txt").respond_with_data("no", status=404)
    httpserver.expect_request("/jobs").respond_with_json([1])
    assert fetcher(tmp_path).get(httpserver.url_for("/jobs")).json() == [1]


def test_a_failing_robots_txt_disallows_the_host(httpserver, tmp_path):
    httpserver.expect_request("/robots.txt").respond_with_data("down", status=500)
    with pytest.raises(RobotsDisallowed):
        fetcher(tmp_path, retries=0).get(httpserver.url_for("/jobs"))


def test_requests_to_one_host_keep_the_minimum_delay(site, tmp_path):
    site.expect_request("/a").respond_with_json(1)
    f = fetcher(tmp_path, delay=0.3)
    start = time.monotonic()
    for n in range(3):
        f.get(site.url_for("/a"), {"n": n})  # robots.txt + 3 pages: 3 gaps of at least 0.3 s
    assert time.monotonic() - start >= 0.9


def test_429_retry_after_is_honoured_then_200(site, tmp_path):
    answers = [Response("slow down", status=429, headers={"Retry-After": "7"}), Response('{"ok": 1}', status=200)]
    site.expect_request("/jobs").respond_with_handler(lambda request: answers.pop(0))
    clock = Clock()
    assert fetcher(tmp_path, sleep=clock).get(site.url_for("/jobs")).json() == {"ok": 1}
    assert clock.waits == [7]


def test_a_burst_of_503s_backs_off_exponentially(site, tmp_path):
    answers = [Response("busy", status=503)] * 3 + [Response("[]", status=200)]
    site.expect_request("/jobs").respond_with_handler(lambda request: answers.pop(0))
    clock = Clock()
    fetcher(tmp_path, sleep=clock, backoff=0.5).get(site.url_for("/jobs"))
    assert clock.waits == [0.5, 1.0, 2.0]


def test_retries_are_bounded(site, tmp_path):
    site.expect_request("/jobs").respond_with_data("busy", status=503)
    clock = Clock()
    with pytest.raises(FetchError, match="HTTP 503 .* after 3 tries"):
        fetcher(tmp_path, sleep=clock, retries=2).get(site.url_for("/jobs"))
    assert len(clock.waits) == 2


def test_a_retry_after_beyond_the_limit_gives_up_at_once(site, tmp_path):
    site.expect_request("/jobs").respond_with_data("later", status=429, headers={"Retry-After": "86400"})
    with pytest.raises(FetchError, match="asks to wait 86400s"):
        fetcher(tmp_path, sleep=Clock()).get(site.url_for("/jobs"))


def test_client_errors_are_not_retried(site, tmp_path):
    site.expect_request("/jobs").respond_with_data("gone", status=404)
    with pytest.raises(FetchError, match="HTTP 404"):
        fetcher(tmp_path).get(site.url_for("/jobs"))
    assert [r.path for r, _ in site.log].count("/jobs") == 1


def test_timeouts_and_unreachable_hosts_become_fetch_errors(site, tmp_path):
    site.expect_request("/slow").respond_with_handler(lambda r: time.sleep(1.5) or Response("late"))
    with pytest.raises(FetchError, match="timed out after 1 tries"):
        fetcher(tmp_path, timeout=0.5, retries=0).get(site.url_for("/slow"))
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match="unreachable after 2 tries"):
        fetcher(tmp_path, retries=1, sleep=Clock()).get(f"http://127.0.0.1:{port}/jobs")


def test_responses_are_cached_so_a_rerun_fetches_nothing(site, tmp_path):
    site.expect_request("/jobs").respond_with_json({"n": 1})
    url = site.url_for("/jobs")
    first = fetcher(tmp_path).get(url, {"page": 0})
    served = len(site.log)
    again = fetcher(tmp_path).get(url, {"page": 0})  # a new run: new Fetcher, same cache
    assert len(site.log) == served
    assert again.from_cache and again.text == first.text and again.fetched_at == first.fetched_at
    cached = list((tmp_path / "cache").rglob("*.json"))
    assert len(cached) == 1 and json.loads(cached[0].read_text())["url"].endswith("/jobs?page=0")


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert retry_after_seconds("soon") is None


PAGE = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Job</title></head><body>{}</body></html>"
TEXT = "Build data tools — “fast” and safe; café ½"


@pytest.mark.parametrize("body, content_type", [
    (PAGE.format(TEXT).encode("utf-8"), "text/html"),                          # meta charset, no header charset
    (b"\xef\xbb\xbf" + PAGE.format(TEXT).encode("utf-8"), "text/html; charset=iso-8859-1"),  # the BOM wins
    (PAGE.replace('"utf-8"', '"windows-1252"').format(TEXT).encode("windows-1252"), "text/html"),
    (PAGE.replace('<meta charset="utf-8">', "").format(TEXT).encode("utf-8"), "text/html"),  # detected
    (PAGE.replace('"utf-8"', '"utf-8"').format(TEXT).encode("utf-16-le"), "text/html; charset=utf-16-le"),
])
def test_pages_are_decoded_as_browsers_decode_them(site, tmp_path, body, content_type):
    site.expect_request("/job").respond_with_data(body, content_type=content_type)
    assert TEXT in fetcher(tmp_path).get(site.url_for("/job")).text
