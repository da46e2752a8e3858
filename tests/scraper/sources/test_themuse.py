import json

import pytest

from scraper.errors import ParseError
from scraper.fetch import Fetcher
from scraper.sources import ScraperInput
from scraper.posting import Posting, Skip
from scraper.matching import Query
from scraper.sources.themuse import MuseSource, muse_categories, muse_locations
from conftest import muse_pages, muse_result


def test_every_saved_muse_dump_parses(shared_data):
    source = MuseSource(None)
    ids = set()
    for path in sorted((shared_data / "themuse").glob("*.json")):
        items = list(source.replay(path))
        postings = [p for p in items if isinstance(p, Posting)]
        assert len(postings) == len(json.loads(path.read_text()))
        assert all(p.title and p.company and p.description_html for p in postings)
        assert sum(not p.locations for p in postings) <= 1  # the API leaves a rare posting unplaced
        ids |= {p.source_id for p in postings}
    assert len(ids) == 1598  # SOURCES.md: 1,598 postings unique by Muse id


def test_page_bodies_and_arrays_of_pages_parse_alike(tmp_path):
    pages = muse_pages([muse_result(i) for i in range(45)])
    (tmp_path / "pages.json").write_text(json.dumps(pages))
    (tmp_path / "one.json").write_text(json.dumps(pages[0]))
    source = MuseSource(None)
    assert len(list(source.replay(tmp_path / "pages.json"))) == 45
    assert len(list(source.replay(tmp_path / "one.json"))) == 20


def test_results_without_contents_are_skipped_with_a_reason():
    bad = muse_result(1)
    bad["contents"] = "  "
    items = list(MuseSource(None).parse([bad, muse_result(2)], "now"))
    assert isinstance(items[0], Skip) and items[0].reason == "no description"
    assert isinstance(items[1], Posting)


def test_malformed_files_raise_parse_errors(tmp_path):
    (tmp_path / "bad.json").write_text('{"results": [')
    with pytest.raises(ParseError, match="malformed JSON"):
        list(MuseSource(None).replay(tmp_path / "bad.json"))
    (tmp_path / "odd.json").write_text('{"jobs": []}')
    with pytest.raises(ParseError, match="no 'results' list"):
        list(MuseSource(None).replay(tmp_path / "odd.json"))


def test_cities_and_titles_map_to_muse_parameters():
    assert muse_locations("New York") == ["New York, NY", "New York City Metro Area"]
    assert muse_locations("Springfield, IL") == ["Springfield, IL"]
    assert muse_categories("data scientist") == ["Data Science", "Data and Analytics"]
    assert muse_categories("plumber") == []


def test_live_search_pages_with_location_and_category(site, tmp_path):
    pages = muse_pages([muse_result(i) for i in range(50)])
    seen = []

    def handler(request):
        from werkzeug import Response
        seen.append(request.args.to_dict(flat=False))
        return Response(json.dumps(pages[int(request.args["page"])]), content_type="application/json")

    site.expect_request("/api/public/jobs").respond_with_handler(handler)
    source = MuseSource(Fetcher(tmp_path, delay=0), ScraperInput(base_url=site.url_for("/")))
    found = list(source.search(Query("Seattle", "data scientist")))
    assert len(found) == 50
    assert [s["page"] for s in seen] == [["0"], ["1"], ["2"]]
    assert seen[0]["location"] == ["Seattle, WA"]
    assert seen[0]["category"] == ["Data Science", "Data and Analytics"]
