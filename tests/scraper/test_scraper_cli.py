"""The scraper's command line, end to end against a local server and the saved data."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from werkzeug import Response

from conftest import ROOT, muse_pages, muse_result, run_module


def scrape(*args, corpus, timeout=600):
    return run_module("scraper", *args, "--corpus-dir", str(corpus), timeout=timeout)


def entries(corpus):
    return [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()]


def serve_muse(site, results, slow=0.0):
    pages = muse_pages(results)

    def handler(request):
        time.sleep(slow)
        locations = request.args.getlist("location")
        wanted = [r for r in results if not locations or {loc["name"] for loc in r["locations"]} & set(locations)]
        body = muse_pages(wanted)[int(request.args.get("page", 0))] if wanted else pages[0] | {"results": []}
        return Response(json.dumps(body), content_type="application/json")

    site.expect_request("/api/public/jobs").respond_with_handler(handler)


def test_live_muse_scrape_for_several_cities_then_a_rerun_adds_and_fetches_nothing(site, tmp_path):
    results = [muse_result(i, city=c) for i, c in enumerate(["Seattle, WA", "Chicago, IL", "New York, NY"] * 10)]
    both = muse_result(99, title="Senior Data Scientist", city="Seattle, WA")
    both["locations"].append({"name": "Chicago, IL"})
    serve_muse(site, results + [both])
    args = ["--base-url", site.url_for("/"), "--delay", "0", "--city", "Seattle", "--city", "Chicago",
            "--title", "data scientist"]
    first = scrape(*args, corpus=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "new 21, duplicate 1" in first.stdout
    found = entries(tmp_path)
    assert len(found) == 21 and len(list((tmp_path / "pages").glob("*.html"))) == 21
    shared = next(e for e in found if e["source_id"] == "1099")
    assert shared["queries"] == ["themuse city=Seattle title=data scientist", "themuse city=Chicago title=data scientist"]
    assert (tmp_path / "input.txt").read_text().count("</html>") == 21

    served = len(site.log)
    again = scrape(*args, corpus=tmp_path)
    assert again.returncode == 0 and "new 0, duplicate 22" in again.stdout
    assert len(site.log) == served  # every response came from the cache


def test_limit_caps_postings_per_query_and_stops_paging(site, tmp_path):
    serve_muse(site, [muse_result(i) for i in range(100)])
    proc = scrape("--base-url", site.url_for("/"), "--delay", "0", "--city", "Seattle", "--limit", "25",
                  corpus=tmp_path)
    assert proc.returncode == 0 and "new 25," in proc.stdout
    assert [r.args["page"] for r, _ in site.log if r.path.endswith("/jobs")] == ["0", "1"]


def test_greenhouse_lever_and_jsonld_from_a_local_server(site, shared_data, tmp_path):
    site.expect_request("/v1/boards/luno/jobs").respond_with_data(
        (shared_data / "ats" / "greenhouse_luno_jobs.json").read_text(), content_type="application/json")
    site.expect_request("/v0/postings/moo").respond_with_data(
        (shared_data / "ats" / "lever_moo_jobs.json").read_text(), content_type="application/json")
    job = {"@type": "JobPosting", "title": "Data Scientist", "description": "<p>Model things.</p>",
           "hiringOrganization": {"name": "Acme"}, "identifier": "ds1",
           "jobLocation": {"address": {"addressLocality": "Seattle", "addressRegion": "WA"}}}
    site.expect_request("/careers/ds1").respond_with_data(
        f'<script type="application/ld+json">{json.dumps(job)}</script>', content_type="text/html")
    base = ["--base-url", site.url_for("/"), "--delay", "0"]
    gh = scrape("--source", "greenhouse", "--board", "luno", "--city", "Cape Town", *base, corpus=tmp_path)
    assert gh.returncode == 0, gh.stderr
    lv = scrape("--source", "lever", "--company", "moo", *base, corpus=tmp_path)
    assert lv.returncode == 0 and "new 13," in lv.stdout
    jl = scrape("--source", "jsonld", "--url", site.url_for("/careers/ds1"), "--delay", "0", corpus=tmp_path)
    assert jl.returncode == 0 and "new 1," in jl.stdout
    sources = {e["source"] for e in entries(tmp_path)}
    assert sources == {"greenhouse", "lever", "jsonld"}
    assert all("Cape Town" in e["location"] for e in entries(tmp_path) if e["source"] == "greenhouse")


def test_robots_429_and_503_bursts_through_the_command_line(site, tmp_path):
    site.expect_request("/private/api/public/jobs").respond_with_json(muse_pages([muse_result(1)])[0])
    blocked = scrape("--base-url", site.url_for("/private"), "--delay", "0", corpus=tmp_path)
    assert blocked.returncode == 1
    assert "robots.txt disallows" in blocked.stderr and "Traceback" not in blocked.stderr
    assert not any(r.path.startswith("/private") for r, _ in site.log)

    answers = [Response("wait", status=429, headers={"Retry-After": "1"}), Response("busy", status=503),
               Response(json.dumps(muse_pages([muse_result(2)])[0]), content_type="application/json")]
    site.expect_request("/api/public/jobs").respond_with_handler(lambda r: answers.pop(0))
    start = time.monotonic()
    ok = scrape("--base-url", site.url_for("/"), "--delay", "0", corpus=tmp_path)
    assert ok.returncode == 0 and "new 1," in ok.stdout
    assert time.monotonic() - start >= 2.0  # 1 s asked by Retry-After, then 1 s of backoff


@pytest.mark.parametrize("case", ["404", "malformed", "unreachable"])
def test_failures_are_reported_and_exit_non_zero_when_nothing_was_gathered(case, site, tmp_path):
    if case == "404":
        site.expect_request("/api/public/jobs").respond_with_data("no", status=404)
        base, message = site.url_for("/"), "HTTP 404"
    elif case == "malformed":
        site.expect_request("/api/public/jobs").respond_with_data('{"results": [', content_type="application/json")
        base, message = site.url_for("/"), "malformed JSON"
    else:
        base, message = "http://127.0.0.1:9", "unreachable"
    proc = scrape("--base-url", base, "--delay", "0", "--retries", "0", "--city", "Seattle", corpus=tmp_path)
    assert proc.returncode == 1
    assert message in proc.stderr and "nothing was gathered" in proc.stderr
    assert "Traceback" not in proc.stderr
    # Only a host that cannot be reached at all gets the hint to work offline.
    assert ("--from-file" in proc.stderr and "make corpus" in proc.stderr) == (case == "unreachable")


def test_postings_without_description_are_skipped_and_counted(tmp_path):
    results = [muse_result(1), muse_result(2) | {"contents": ""}]
    (tmp_path / "dump.json").write_text(json.dumps(results))
    proc = scrape("--from-file", str(tmp_path / "dump.json"), corpus=tmp_path / "c")
    assert proc.returncode == 0 and "new 1," in proc.stdout and "skipped: no description 1" in proc.stdout


@pytest.mark.parametrize("args, message", [
    (["--source", "indeed"], "invalid choice: 'indeed'"),
    (["--colour", "red"], "unrecognized arguments: --colour"),
    (["--source", "greenhouse"], "--source greenhouse needs --board"),
    (["--source", "csv"], "--source csv needs --file"),
    (["--limit", "0"], "--limit must be at least 1"),
    (["--source", "jsonld", "--url", "file:///etc/passwd"], "--url must be an http:// or https:// URL"),
    (["--source", "jsonld", "--url", "jobs"], "--url must be an http:// or https:// URL"),
    (["--base-url", "ftp://example.org", "--city", "Seattle"], "--base-url must be an http:// or https:// URL"),
    (["--source", "csv", "--file", "/"], "Is a directory: /"),
])
def test_bad_options_are_refused(args, message, tmp_path):
    proc = scrape(*args, corpus=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_a_killed_run_leaves_a_consistent_corpus_that_a_rerun_completes(site, tmp_path):
    serve_muse(site, [muse_result(i) for i in range(120)], slow=0.25)
    cmd = [sys.executable, "-m", "scraper", "--base-url", site.url_for("/"), "--delay", "0",
           "--corpus-dir", str(tmp_path)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = tmp_path / "manifest.jsonl"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not (manifest.exists() and manifest.read_text().count("\n") >= 30):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    pages = list((tmp_path / "pages").glob("*.html"))
    assert 30 <= len(pages) < 120
    assert all(p.read_text().endswith("</html>\n") for p in pages)
    lines = manifest.read_text().splitlines()
    for line in lines[:-1]:
        assert (tmp_path / "pages" / json.loads(line)["file"]).exists()

    again = scrape("--base-url", site.url_for("/"), "--delay", "0", corpus=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(entries(tmp_path)) == 120 and len(list((tmp_path / "pages").glob("*.html"))) == 120
    assert (tmp_path / "input.txt").read_text().count("<html>") == 120


def test_ctrl_c_keeps_what_was_gathered(site, tmp_path):
    serve_muse(site, [muse_result(i) for i in range(200)], slow=0.2)
    proc = subprocess.Popen([sys.executable, "-m", "scraper", "--base-url", site.url_for("/"), "--delay", "0",
                             "--corpus-dir", str(tmp_path)], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    manifest = tmp_path / "manifest.jsonl"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not (manifest.exists() and manifest.read_text().count("\n") >= 20):
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 130 and "run the same command again" in err and "Traceback" not in err
    n = len(entries(tmp_path))
    assert n >= 20 and (tmp_path / "input.txt").read_text().count("</html>") == n


def test_replaying_all_saved_data_builds_the_corpus_then_adds_nothing(shared_data, tmp_path):
    muse = sorted(str(p) for p in (shared_data / "themuse").glob("*.json"))
    cities = ["--city", "San Francisco Bay Area", "--city", "New York", "--city", "Chicago", "--city", "Seattle"]
    first = scrape("--source", "themuse", "--from-file", *muse, *cities, corpus=tmp_path)
    assert first.returncode == 0, first.stderr
    n = len(entries(tmp_path))
    assert n > 500
    again = scrape("--source", "themuse", "--from-file", *muse, *cities, corpus=tmp_path)
    assert again.returncode == 0 and "new 0," in again.stdout and len(entries(tmp_path)) == n

    csv = scrape("--source", "csv", "--file", str(shared_data / "glassdoor" / "glassdoor_jobs.csv"),
                 "--title", "data scientist", "--city", "New York", corpus=tmp_path)
    assert csv.returncode == 0
    added = [e for e in entries(tmp_path) if e["source"] == "csv"]
    assert added and all("New York" in e["location"] and "data scientist" in e["title"].lower() for e in added)

    ats = scrape("--source", "greenhouse", "--from-file", str(shared_data / "ats" / "greenhouse_luno_jobs.json"),
                 corpus=tmp_path)
    lever = scrape("--source", "lever", "--from-file", str(shared_data / "ats" / "lever_moo_jobs.json"),
                   corpus=tmp_path)
    assert ats.returncode == 0 and lever.returncode == 0
    text = (tmp_path / "input.txt").read_text()
    assert text.count("<html>") == len(entries(tmp_path)) == n + len(added) + 10 + 13


def test_compile_rebuilds_input_from_pages(tmp_path):
    (tmp_path / "dump.json").write_text(json.dumps([muse_result(i) for i in range(5)]))
    assert scrape("--from-file", str(tmp_path / "dump.json"), corpus=tmp_path / "c").returncode == 0
    built = (tmp_path / "c" / "input.txt").read_text()
    (tmp_path / "c" / "input.txt").unlink()
    proc = run_module("scraper", "compile", "--corpus-dir", str(tmp_path / "c"))
    assert proc.returncode == 0 and "compiled 5 pages" in proc.stdout
    assert (tmp_path / "c" / "input.txt").read_text() == built
    missing = run_module("scraper", "compile", "--corpus-dir", str(tmp_path / "none"))
    assert missing.returncode == 2 and "gather postings first" in missing.stderr


def serve_faulty_muse(site, results, faults: dict[int, list[str]]):
    """The Muse API with faults injected: faults[page] lists what the first requests for that page get."""
    pages = muse_pages(results)
    seen: dict[int, int] = {}

    def handler(request):
        page = int(request.args.get("page", 0))
        n = seen[page] = seen.get(page, 0) + 1
        fault = faults.get(page, [])[n - 1] if n <= len(faults.get(page, [])) else "ok"
        body = json.dumps(pages[page])
        if fault == "429":
            return Response("slow down", status=429, headers={"Retry-After": "0"})
        if fault == "503":
            return Response("busy", status=503)
        if fault == "drop":  # the connection closes with the body cut short
            return Response(body[:40], headers={"Content-Length": str(len(body))}, content_type="application/json")
        if fault == "slow":
            time.sleep(2.5)  # past the scraper's --timeout 1
        if fault == "malformed":
            return Response(body[: len(body) // 2], content_type="application/json")  # a 200 cut short
        return Response(body, content_type="application/json")

    site.expect_request("/api/public/jobs").respond_with_handler(handler)


def test_every_fault_mid_paging_is_retried_until_every_posting_is_saved(site, tmp_path):
    results = [muse_result(i) for i in range(60)]  # three pages
    serve_faulty_muse(site, results, {0: ["429"], 1: ["503", "drop"], 2: ["slow", "malformed"]})
    args = ["--base-url", site.url_for("/"), "--delay", "0", "--timeout", "1", "--city", "Seattle"]
    first = scrape(*args, corpus=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "new 60, duplicate 0" in first.stdout and len(entries(tmp_path)) == 60
    again = scrape(*args, corpus=tmp_path)
    assert again.returncode == 0 and "new 0, duplicate 60" in again.stdout


def test_a_malformed_page_is_never_cached_and_the_pages_after_it_are_still_fetched(site, tmp_path):
    results = [muse_result(i) for i in range(60)]
    serve_faulty_muse(site, results, {1: ["malformed"] * 2})
    args = ["--base-url", site.url_for("/"), "--delay", "0", "--retries", "1", "--city", "Seattle"]
    broken = scrape(*args, corpus=tmp_path)
    # Page 1 failed twice (one try, one retry): reported, the run fails, page 2 was still fetched.
    assert broken.returncode == 1
    assert "page 1 of 3" in broken.stderr and "malformed JSON" in broken.stderr and "incomplete" in broken.stderr
    assert "new 40," in broken.stdout and "Traceback" not in broken.stderr
    # The server recovered; the bad page was not cached, so the re-run fetches it and completes.
    fixed = scrape(*args, corpus=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    assert "new 20, duplicate 40" in fixed.stdout and len(entries(tmp_path)) == 60


def test_a_binary_urls_file_and_a_corpus_under_a_file_are_clear_errors(tmp_path):
    binary = tmp_path / "urls.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    proc = scrape("--source", "jsonld", "--urls-file", str(binary), corpus=tmp_path / "c")
    assert proc.returncode != 0 and "not a text file of URLs" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "afile").write_text("x")
    proc = scrape("--source", "csv", "--file", str(binary), corpus=tmp_path / "afile" / "corpus")
    assert proc.returncode == 2 and "Not a directory" in proc.stderr and "Traceback" not in proc.stderr


def test_a_run_that_gathers_nothing_writes_no_corpus_and_a_bad_file_is_named(tmp_path):
    # Issue 39 #11: an empty corpus was written ("corpus now 0 postings"), and the warning named no file.
    wrong = tmp_path / "not_greenhouse.json"
    wrong.write_text(json.dumps({"postings": []}))
    proc = run_module("scraper", "--source", "greenhouse", "--from-file", str(wrong), "--corpus-dir",
                      str(tmp_path / "corpus"))
    assert proc.returncode == 1 and f"warning: {wrong}: not the Greenhouse API's" in proc.stderr
    assert "corpus unchanged" in proc.stdout and "corpus now" not in proc.stdout
    assert not (tmp_path / "corpus" / "input.txt").exists()
    # A file whose own error names it is named once.
    torn = tmp_path / "torn.json"
    torn.write_text('{"results": [')
    proc = run_module("scraper", "--source", "themuse", "--from-file", str(torn), "--corpus-dir", str(tmp_path / "c"))
    assert f"warning: {torn}: malformed JSON" in proc.stderr and proc.stderr.count(str(torn)) == 1
