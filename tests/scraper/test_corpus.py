import json

from scraper.corpus import Corpus
from scraper.posting import Posting


def posting(i: int, body: str | None = None, source: str = "themuse") -> Posting:
    return Posting(source=source, source_id=str(i), title=f"Data Scientist {i}", company="Acme",
                   locations=["Seattle, WA"], url=f"https://example.org/{i}",
                   description_html=body or f"<p>Posting {i} text.</p>", fetched_at="2026-11-21T00:00:00+00:00")


def manifest(root):
    return [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]


def test_a_posting_is_stored_once_and_remembers_every_query(tmp_path):
    c = Corpus(tmp_path)
    assert c.add(posting(1), "themuse city=Seattle") == "new"
    page = tmp_path / "pages" / "themuse-1.html"
    before = page.stat().st_mtime_ns
    assert c.add(posting(1), "themuse city=Chicago") == "duplicate"
    assert c.add(posting(1), "themuse city=Chicago") == "duplicate"
    # The same text from another source is the same posting too.
    assert c.add(posting(9, body="<p>Posting 1 text.</p>", source="greenhouse"), "greenhouse") == "duplicate"
    c.finish()
    (entry,) = manifest(tmp_path)
    assert entry["queries"] == ["themuse city=Seattle", "themuse city=Chicago", "greenhouse"]
    assert set(entry) >= {"source", "source_id", "url", "title", "company", "location", "queries",
                          "fetched_at", "sha256"}
    assert page.stat().st_mtime_ns == before


def test_compile_is_deterministic_and_adds_to_an_existing_corpus(tmp_path):
    c = Corpus(tmp_path)
    for i in (3, 1, 2):
        c.add(posting(i), "q")
    figures = c.finish()
    text = (tmp_path / "input.txt").read_text()
    assert figures["postings"] == 3 and text.count("</html>") == 3
    assert text.index("Data Scientist 1") < text.index("Data Scientist 2") < text.index("Data Scientist 3")
    old_page = (tmp_path / "pages" / "themuse-1.html").read_bytes()

    c2 = Corpus(tmp_path)  # a later scrape
    assert c2.add(posting(1), "q") == "duplicate"
    assert c2.add(posting(4), "q2") == "new"
    c2.finish()
    assert (tmp_path / "input.txt").read_text().count("</html>") == 4
    assert (tmp_path / "pages" / "themuse-1.html").read_bytes() == old_page


def test_a_manifest_cut_by_a_kill_is_repaired_on_the_next_run(tmp_path):
    c = Corpus(tmp_path)
    c.add(posting(1), "q")
    c.add(posting(2), "q")
    # A kill while appending leaves half a line; a kill between page and line leaves an orphan page.
    with open(tmp_path / "manifest.jsonl", "a") as fh:
        fh.write('{"file": "themuse-3.html", "sour')
    (tmp_path / "pages" / "themuse-3.html").write_text("<html>\n</html>\n")
    (tmp_path / "pages" / ".themuse-5.html.123.ab.tmp").write_text("half")

    c2 = Corpus(tmp_path)
    assert c2.damaged_lines == 1
    assert not list((tmp_path / "pages").glob(".*.tmp"))
    assert c2.add(posting(3), "q") == "new"  # the orphan page gets its manifest entry, untouched
    assert (tmp_path / "pages" / "themuse-3.html").read_text() == "<html>\n</html>\n"
    figures = c2.finish()
    assert [e["source_id"] for e in manifest(tmp_path)] == ["1", "2", "3"]
    assert figures["unlisted"] == []


def test_a_description_with_no_text_is_not_stored(tmp_path):
    c = Corpus(tmp_path)
    assert c.add(posting(1, body="<img src=x><script>x()</script>"), "q") == "empty"
    assert not (tmp_path / "pages").exists() or not list((tmp_path / "pages").iterdir())


def test_postings_in_another_script_are_left_out(tmp_path):
    c = Corpus(tmp_path)
    assert c.add(posting(1, body="<p>データサイエンティストを募集しています。Python と SQL の経験。</p>"), "q") == "other script"
    assert c.add(posting(2, body="<p>Café au lait, naïve résumé, Zürich.</p>"), "q") == "new"
