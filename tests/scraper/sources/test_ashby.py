import json

import pytest

from scraper.errors import ParseError
from scraper.fetch import Fetcher
from scraper.sources import ScraperInput
from scraper.posting import Posting, Skip
from scraper.simplify import build_document
from scraper.matching import Query
from scraper.sources.ashby import AshbySource
from conftest import run_module

# The shape of GET /posting-api/job-board/<org>?includeCompensation=true, written for this test.
BOARD = {
    "apiVersion": "1",
    "jobs": [
        {"id": "7b3c-1", "title": "Senior Data Scientist", "department": "Data", "team": "Risk",
         "employmentType": "FullTime", "location": "Seattle, WA",
         "secondaryLocations": [{"location": "Remote - US", "address": {}}],
         "isListed": True, "isRemote": True, "publishedAt": "2026-10-01T12:00:00.000+00:00",
         "jobUrl": "https://jobs.ashbyhq.com/dreamco/7b3c-1",
         "applyUrl": "https://jobs.ashbyhq.com/dreamco/7b3c-1/application",
         "descriptionHtml": "<p>We build <strong>models</strong> that matter.</p><h2>You will</h2>"
                            "<ul><li>Ship forecasts</li><li>Own experiments</li></ul>",
         "descriptionPlain": "We build models that matter.\n\nYou will\n- Ship forecasts\n- Own experiments",
         "compensation": {"compensationTierSummary": "$150K - $190K"}},
        {"id": "7b3c-2", "title": "Product Designer", "department": "Design", "location": "New York, NY",
         "isListed": True, "jobUrl": "https://jobs.ashbyhq.com/dreamco/7b3c-2", "descriptionHtml": "",
         "descriptionPlain": "Design the gallery.\n\nWork with data scientists."},
        {"id": "7b3c-3", "title": "Hidden Role", "location": "Seattle, WA", "isListed": False,
         "jobUrl": "https://jobs.ashbyhq.com/dreamco/7b3c-3", "descriptionHtml": "<p>secret</p>"},
        {"id": "7b3c-4", "title": "Empty", "location": "Seattle, WA", "isListed": True, "descriptionHtml": ""},
    ],
}


def test_a_board_parses_into_postings_with_reasons_for_the_rest():
    items = list(AshbySource(None).parse(BOARD, "now", "dreamco"))
    postings = [p for p in items if isinstance(p, Posting)]
    assert [(p.title, p.company, p.locations) for p in postings] == [
        ("Senior Data Scientist", "dreamco", ["Seattle, WA", "Remote - US"]),
        ("Product Designer", "dreamco", ["New York, NY"])]
    assert sorted(s.reason for s in items if isinstance(s, Skip)) == ["no description", "unlisted"]
    _, body = build_document(postings[0].title, postings[0].company, postings[0].location,
                             postings[0].description_html)
    assert "<strong>models</strong>" in body and "<li>Ship forecasts</li>" in body
    _, plain = build_document(postings[1].title, postings[1].company, postings[1].location,
                              postings[1].description_html)
    assert "<p>Design the gallery.</p>" in plain


def test_not_a_board_is_a_parse_error():
    with pytest.raises(ParseError, match="jobs list"):
        list(AshbySource(None).parse([1, 2], "now"))


def test_live_board_and_replay_from_the_command_line(site, tmp_path):
    site.expect_request("/posting-api/job-board/dreamco", query_string="includeCompensation=true").respond_with_json(BOARD)
    source = AshbySource(Fetcher(tmp_path / "cache", delay=0), ScraperInput(base_url=site.url_for("/"), boards=("dreamco",)))
    assert len([p for p in source.search(Query()) if isinstance(p, Posting)]) == 2

    live = run_module("scraper", "--source", "ashby", "--board", "dreamco", "--base-url", site.url_for("/"),
                      "--delay", "0", "--city", "Seattle", "--corpus-dir", str(tmp_path / "live"))
    assert live.returncode == 0, live.stderr
    assert "new 1," in live.stdout  # only the Seattle posting matches
    saved = tmp_path / "board.json"
    saved.write_text(json.dumps(BOARD))
    replay = run_module("scraper", "--source", "ashby", "--from-file", str(saved), "--corpus-dir", str(tmp_path / "off"))
    assert replay.returncode == 0 and "new 2," in replay.stdout
    assert (tmp_path / "off" / "input.txt").read_text().count("<h1>Product Designer</h1>") == 1
