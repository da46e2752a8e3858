import json

from scraper.fetch import Fetcher
from scraper.sources import ScraperInput
from scraper.matching import Query
from scraper.sources.jsonld import JsonLdSource

JOB = {
    "@context": "https://schema.org/", "@type": "JobPosting", "title": "Data Scientist",
    "description": "&lt;p&gt;Model &lt;b&gt;everything&lt;/b&gt;.&lt;/p&gt;",
    "identifier": {"@type": "PropertyValue", "name": "Acme", "value": "ds-42"},
    "hiringOrganization": {"@type": "Organization", "name": "Acme"},
    "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "addressLocality": "Seattle",
                                                   "addressRegion": "WA", "addressCountry": "US"}},
    "datePosted": "2026-11-01",
}


def page(*blocks) -> str:
    scripts = "".join(f'<script type="application/ld+json">{b}</script>' for b in blocks)
    return f"<html><head>{scripts}</head><body><h1>Jobs</h1></body></html>"


def test_job_posting_json_ld_is_found_in_graphs_and_lists():
    other = {"@type": "Organization", "name": "Acme"}
    html = page("{not json", json.dumps({"@graph": [other, JOB]}), json.dumps([dict(JOB, identifier="x2")]))
    postings = list(JsonLdSource(None).parse(html, "now", "https://acme.example/jobs/42"))
    assert [p.source_id for p in postings] == ["ds-42", "x2"]
    p = postings[0]
    assert (p.title, p.company, p.locations) == ("Data Scientist", "Acme", ["Seattle, WA"])
    assert p.description_html == "<p>Model <b>everything</b>.</p>"
    assert p.url == "https://acme.example/jobs/42"


def test_pages_without_postings_or_descriptions_are_skipped():
    assert list(JsonLdSource(None).parse(page(), "now", "u"))[0].reason == "no JobPosting JSON-LD"
    no_text = dict(JOB, description="")
    assert list(JsonLdSource(None).parse(page(json.dumps(no_text)), "now", "u"))[0].reason == "no description"


def test_live_pages_from_urls_and_a_urls_file(site, tmp_path):
    for n in (1, 2):
        site.expect_request(f"/jobs/{n}").respond_with_data(
            page(json.dumps(dict(JOB, identifier=f"id{n}"))), content_type="text/html")
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# career pages\n{site.url_for('/jobs/2')}\n\n")
    source = JsonLdSource(Fetcher(tmp_path / "cache", delay=0), ScraperInput(urls=(site.url_for("/jobs/1"),), urls_file=urls))
    assert [p.source_id for p in source.search(Query())] == ["id1", "id2"]
