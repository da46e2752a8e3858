import pytest

from scraper.matching import city_matches, title_matches


@pytest.mark.parametrize("city, location", [
    ("Seattle", "Seattle, WA"),
    ("seattle", "SEATTLE, Washington"),
    ("New York", "New York, NY"),
    ("New York", "New York City Metro Area"),
    ("NYC", "New York, NY"),
    ("San Francisco Bay Area", "San Francisco Bay Area"),
    ("San Francisco Bay Area", "San Francisco, CA"),
    ("Chicago", "Chicago, IL"),
    ("Remote", "Flexible / Remote"),
    ("Montreal", "Montréal, QC"),
])
def test_cities_match_forgivingly(city, location):
    assert city_matches(city, location)


@pytest.mark.parametrize("city, location", [
    ("Seattle", "Tacoma, WA"),
    ("New York", "York, UK"),
    ("San Francisco Bay Area", "South San Francisco, CA"),
    ("Chicago", "Flexible / Remote"),
    ("Washington", "Seattle, WA"),
])
def test_other_cities_do_not_match(city, location):
    assert not city_matches(city, location)


def test_titles_match_case_insensitively_on_words():
    assert title_matches("data scientist", "Senior Data Scientist, Ads")
    assert title_matches("Data Scientist", "data scientists (NLP)")
    assert title_matches("engineer", "Software Engineering Manager")
    assert not title_matches("data scientist", "Data Engineer")
    assert not title_matches("scientist", "Big Data Analyst")
