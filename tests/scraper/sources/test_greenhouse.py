import json

import pytest

from scraper.errors import ParseError
from scraper.fetch import Fetcher
from scraper.sources import ScraperInput
from scraper.posting import Posting
from scraper.matching import Query
from scraper.sources.greenhouse import GreenhouseSource


def test_saved_board_parses_with_content_unescaped_once(shared_data):
    path = shared_data / "ats" / "greenhouse_luno_jobs.json"
    postings = [p for p in GreenhouseSource(None).replay(path) if isinstance(p, Posting)]
    assert len(postings) == json.loads(path.read_text())["meta"]["total"] == 10
    p = postings[0]
    assert p.title == "AML, CTF, CPF & Sanctions Analyst" and p.company == "Luno"
    assert p.description_html.startswith("<p><strong>About us:</strong></p>")
    assert "Jakarta" in p.locations and p.url.startswith("https://job-boards.greenhouse.io/")


def test_live_board_is_fetched_with_content(site, shared_data, tmp_path):
    body = (shared_data / "ats" / "greenhouse_luno_jobs.json").read_text()
    site.expect_request("/v1/boards/luno/jobs", query_string="content=true").respond_with_data(
        body, content_type="application/json")
    source = GreenhouseSource(Fetcher(tmp_path, delay=0), ScraperInput(base_url=site.url_for("/"), boards=("luno",)))
    assert len([p for p in source.search(Query()) if isinstance(p, Posting)]) == 10


def test_a_body_without_jobs_is_a_parse_error():
    with pytest.raises(ParseError, match="no 'jobs' list"):
        list(GreenhouseSource(None).parse({"error": "not found"}, "now"))
