import pytest

from scraper.errors import ParseError
from scraper.posting import Posting
from scraper.sources.csvfile import CsvSource


def test_glassdoor_export_parses_with_ratings_stripped(shared_data):
    items = list(CsvSource(None).replay(shared_data / "glassdoor" / "glassdoor_jobs.csv"))
    postings = [p for p in items if isinstance(p, Posting)]
    assert len(postings) == 956
    p = postings[0]
    assert (p.title, p.company, p.locations) == ("Data Scientist", "Tecolote Research", ["Albuquerque, NM"])
    assert p.description_html.startswith("<h4>Data Scientist</h4>") or p.description_html.startswith("<p>")
    assert "<ul>" in p.description_html
    assert len({p.source_id for p in postings}) <= 956


def test_missing_columns_and_files_are_parse_errors(tmp_path):
    (tmp_path / "x.csv").write_text("Title,Text\nA,B\n")
    with pytest.raises(ParseError, match="missing Job Title"):
        list(CsvSource(None).replay(tmp_path / "x.csv"))
    with pytest.raises(ParseError, match="no such file"):
        list(CsvSource(None).replay(tmp_path / "none.csv"))
