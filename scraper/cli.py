"""Command line: `python -m scraper --help` and `python -m scraper compile --help`."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from .corpus import Corpus
from .errors import ScraperError
from .fetch import PROJECT_URL, Fetcher, check_web_url
from .gather import Gathering, gather
from .matching import Query
from .sources import SOURCES, ScraperInput

EXAMPLES = """examples:
  python -m scraper --city Seattle --title "data scientist"
  python -m scraper --city "San Francisco Bay Area" --city "New York" --city Chicago --city Seattle
  python -m scraper --source themuse --from-file ../shared/data/themuse/*.json --city Chicago
  python -m scraper --source greenhouse --board luno --title engineer
  python -m scraper --source lever --company moo
  python -m scraper --source ashby --board ramp --title engineer
  python -m scraper --source jsonld --url https://example.com/jobs/123
  python -m scraper --source csv --file glassdoor_jobs.csv --title "data scientist" --city "New York"
  python -m scraper compile
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m scraper",
        description="Gather job postings for every --city and --title, strip each to bare HTML, save it "
                    "under CORPUS/pages/ and compile CORPUS/input.txt and CORPUS/manifest.jsonl. "
                    "`python -m scraper compile` rebuilds input.txt from the saved pages.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    q = p.add_argument_group("what to gather")
    q.add_argument("--source", choices=list(SOURCES), default="themuse", help="where postings come from (default themuse)")
    q.add_argument("--city", action="append", default=[], help="repeatable; matched forgivingly ('Seattle' matches 'Seattle, WA')")
    q.add_argument("--title", action="append", default=[], help="repeatable; every word must start a word of the title")
    q.add_argument("--limit", type=int, help="at most this many postings per city and title")
    q.add_argument("--board", action="extend", nargs="+", default=[], metavar="TOKEN",
                   help="greenhouse: board tokens; ashby: job board names (jobs.ashbyhq.com/NAME)")
    q.add_argument("--company", action="extend", nargs="+", default=[], metavar="NAME", help="lever: company names")
    q.add_argument("--url", action="extend", nargs="+", default=[], help="jsonld: pages with JobPosting JSON-LD")
    q.add_argument("--urls-file", help="jsonld: a file of URLs, one a line")
    q.add_argument("--file", help="csv: a Kaggle/Glassdoor-style export")
    q.add_argument("--from-file", action="extend", nargs="+", default=[], metavar="PATH",
                   help="replay saved responses through the source's parser, offline (themuse, greenhouse, lever, ashby, jsonld)")

    o = p.add_argument_group("where and how")
    o.add_argument("--corpus-dir", default="corpus", help="the corpus folder (default corpus)")
    o.add_argument("--cache-dir", help="raw-response cache (default CORPUS/cache)")
    o.add_argument("--base-url", help="the source's API base URL (tests point it at 127.0.0.1)")
    o.add_argument("--delay", type=float, default=1.0, help="minimum seconds between requests to one host (default 1)")
    o.add_argument("--timeout", type=float, default=30.0, help="seconds before a request times out (default 30)")
    o.add_argument("--retries", type=int, default=4, help="retries on 429/5xx and connection errors (default 4)")
    o.add_argument("--contact", default=PROJECT_URL, help="URL sent in the User-Agent so sites can reach us")
    return p


def build_compile_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m scraper compile",
                                description="Rebuild CORPUS/input.txt from CORPUS/pages/ and compact the manifest.")
    p.add_argument("--corpus-dir", default="corpus")
    return p


def check_args(p: argparse.ArgumentParser, a: argparse.Namespace) -> None:
    if a.limit is not None and a.limit < 1:
        p.error("--limit must be at least 1")
    if not (0 <= a.delay < math.inf and 0 < a.timeout < math.inf and a.retries >= 0):  # nan fails both
        p.error("--delay must be >= 0, --timeout > 0 and --retries >= 0")
    needs = {
        "greenhouse": (a.board or a.from_file, "--board TOKEN or --from-file"),
        "lever": (a.company or a.from_file, "--company NAME or --from-file"),
        "ashby": (a.board or a.from_file, "--board ORG or --from-file"),
        "jsonld": (a.url or a.urls_file or a.from_file, "--url, --urls-file or --from-file"),
        "csv": (a.file, "--file PATH"),
    }
    for url, what in [(u, "--url") for u in a.url] + ([(a.base_url, "--base-url")] if a.base_url else []):
        try:
            check_web_url(url, what)
        except ScraperError as exc:
            p.error(str(exc))
    if a.source in needs and not needs[a.source][0]:
        p.error(f"--source {a.source} needs {needs[a.source][1]}")
    if a.source == "csv" and a.from_file:
        p.error("--source csv reads --file; --from-file is for the API sources")


def source_input(a: argparse.Namespace) -> ScraperInput:
    return ScraperInput(boards=tuple(a.board), companies=tuple(a.company), urls=tuple(a.url),
                        urls_file=Path(a.urls_file) if a.urls_file else None, file=Path(a.file) if a.file else None,
                        base_url=a.base_url)


def run_gather(a: argparse.Namespace) -> int:
    corpus_dir = Path(a.corpus_dir)
    corpus_dir.mkdir(parents=True, exist_ok=True)  # a folder that cannot be made is said before any fetching
    fetcher = Fetcher(Path(a.cache_dir) if a.cache_dir else corpus_dir / "cache", contact=a.contact, delay=a.delay,
                      timeout=a.timeout, retries=a.retries)
    source = SOURCES[a.source](fetcher, source_input(a))
    queries = [Query(c, t) for c in (a.city or [None]) for t in (a.title or [None])]
    corpus = Corpus(corpus_dir)
    if corpus.damaged_lines:
        print(f"note: skipped {corpus.damaged_lines} cut-off manifest line(s) left by an interrupted run",
              file=sys.stderr)
    run = gather(source, queries, corpus, a.limit, a.from_file)
    print(run.summary(corpus.finish() if run.gathered else None))
    return outcome(run)


def outcome(run: Gathering) -> int:
    """The exit status of a run, with what the user should do next."""
    if run.offline:
        print(f"hint: {run.source.name}'s host could not be reached. Offline, replay saved responses with "
              "--from-file (README: Gathering postings), or build the whole corpus from ../shared/data "
              "with `make corpus`.", file=sys.stderr)
    if run.interrupted:
        print("interrupted: what was gathered is saved; run the same command again to continue "
              "(responses already fetched come from the cache)", file=sys.stderr)
        return 130
    if run.errors and run.gathered:
        print(f"error: the run is incomplete: {len(run.errors)} part(s) failed (see the warnings above), so "
              "postings are missing; run the same command again to fetch what failed (what was fetched comes "
              "from the cache)", file=sys.stderr)
        return 1
    if not run.gathered:
        print("error: nothing was gathered" + (" (see the warnings above)" if run.errors else
                                               "; no posting matched the cities and titles asked for"),
              file=sys.stderr)
        return 1
    return 0


def compile_corpus(a: argparse.Namespace) -> int:
    corpus = Corpus(a.corpus_dir)
    if not corpus.pages.exists():
        print(f"error: {corpus.pages} does not exist; gather postings first (python -m scraper --help)",
              file=sys.stderr)
        return 2
    figures = corpus.finish()
    print(f"compiled {figures['postings']:,} pages, {figures['chars']:,} characters, "
          f"vocabulary {figures['vocab']} -> {corpus.input_path}")
    if figures["unlisted"]:
        print(f"note: {len(figures['unlisted'])} page(s) have no manifest entry (a run was cut short); "
              "re-running the scrape lists them", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    # `compile` is the one subcommand; everything else is gathering's options.
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["compile"]:
        return compile_corpus(build_compile_parser().parse_args(argv[1:]))
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    return run_gather(args)
