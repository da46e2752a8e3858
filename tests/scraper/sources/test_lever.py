import json

import pytest

from scraper.errors import ParseError
from scraper.fetch import Fetcher
from scraper.sources import ScraperInput
from scraper.posting import Posting
from scraper.matching import Query
from scraper.sources.lever import LeverSource
from scraper.simplify import build_document


def test_saved_postings_parse_with_lists_and_additional(shared_data):
    path = shared_data / "ats" / "lever_moo_jobs.json"
    raw = json.loads(path.read_text())
    postings = [p for p in LeverSource(None).replay(path) if isinstance(p, Posting)]
    assert len(postings) == len(raw) == 13
    p = postings[0]
    assert (p.title, p.company, p.locations) == ("Account Manager", "moo", ["East Providence, RI"])
    _, body = build_document(p.title, p.company, p.location, p.description_html)
    assert "<h4>Responsibilities</h4>\n<ul>\n<li>Proactively manage" in body
    assert "What's it like to work at MOO?" in body


def test_live_company_postings(site, shared_data, tmp_path):
    site.expect_request("/v0/postings/moo", query_string="mode=json").respond_with_data(
        (shared_data / "ats" / "lever_moo_jobs.json").read_text(), content_type="application/json")
    source = LeverSource(Fetcher(tmp_path, delay=0), ScraperInput(base_url=site.url_for("/"), companies=("moo",)))
    assert len([p for p in source.search(Query()) if isinstance(p, Posting)]) == 13


def test_an_object_instead_of_an_array_is_a_parse_error():
    with pytest.raises(ParseError, match="expected an array"):
        list(LeverSource(None).parse({"ok": False}, "now"))
