"""Command line: `python -m scraper --help` and `python -m scraper compile --help`."""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from .corpus import Corpus
from .errors import FetchError, ScraperError
from .fetch import PROJECT_URL, Fetcher, check_web_url
from .posting import Failure, Skip
from .sources import SOURCES, Query

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


SKIPPED = {"empty": "nothing left after stripping", "other script": "not in Latin script"}


class Run:
    """One gathering run: feeds postings to the corpus and keeps the figures for the summary."""

    def __init__(self, corpus: Corpus, source_name: str, queries: list[Query], limit: int | None):
        self.corpus = corpus
        self.source_name = source_name
        self.queries = queries
        self.limit = limit
        self.counts = Counter()
        self.skipped = Counter()
        self.errors: list[str] = []
        self.offline = False
        self.per_query = Counter()
        self.bar = tqdm(unit=" postings", desc="gathering", dynamic_ncols=True, file=sys.stderr)

    def full(self, query: Query) -> bool:
        return self.limit is not None and self.per_query[query] >= self.limit

    def take(self, items, queries: list[Query]) -> None:
        """Store what matches any of the queries; stops early once every query has its --limit."""
        for item in items:
            if isinstance(item, Failure):
                self.error(item.message)
                continue
            self.bar.update(1)
            if isinstance(item, Skip):
                self.skipped[item.reason] += 1
                continue
            matched = [q for q in queries if not self.full(q) and q.matches(item)]
            if not matched:
                self.counts["not matching"] += 1
            for q in matched:
                outcome = self.corpus.add(item, q.label(self.source_name))
                if outcome in SKIPPED:
                    self.skipped[SKIPPED[outcome]] += 1
                    break
                self.per_query[q] += 1
                self.counts[outcome] += 1
            self.bar.set_postfix(new=self.counts["new"], refresh=False)
            if all(self.full(q) for q in queries):
                return

    def error(self, message: str, exc: Exception | None = None) -> None:
        self.errors.append(message)
        tqdm.write(f"warning: {message}", file=sys.stderr)
        if isinstance(exc, FetchError) and exc.status is None:
            self.offline = True  # the host could not be reached at all

    def summary(self, figures: dict) -> str:
        self.bar.close()
        # A posting found by two queries counts once as new and once as duplicate.
        lines = [f"new {self.counts['new']:,}, duplicate {self.counts['duplicate']:,}, "
                 f"not matching {self.counts['not matching']:,}"]
        if self.skipped:
            lines.append("skipped: " + ", ".join(f"{r} {n:,}" for r, n in self.skipped.most_common()))
        if self.errors:
            lines.append(f"errors: {len(self.errors)} (see warnings above)")
        lines.append(f"corpus now {figures['postings']:,} postings, {figures['chars']:,} characters, "
                     f"vocabulary {figures['vocab']} -> {self.corpus.input_path}")
        return "\n".join(lines)


def gather(a: argparse.Namespace) -> int:
    corpus_dir = Path(a.corpus_dir)
    cache = Path(a.cache_dir) if a.cache_dir else corpus_dir / "cache"
    fetcher = Fetcher(cache, user_agent=f"dreamjobs-scraper/0.1 (+{a.contact})", delay=a.delay,
                      timeout=a.timeout, retries=a.retries)
    options = {"base_url": a.base_url, "boards": a.board, "companies": a.company, "urls": a.url,
               "urls_file": a.urls_file, "file": a.file}
    source = SOURCES[a.source](fetcher, options)
    queries = [Query(c, t) for c in (a.city or [None]) for t in (a.title or [None])]
    corpus = Corpus(corpus_dir)
    if corpus.damaged_lines:
        print(f"note: skipped {corpus.damaged_lines} cut-off manifest line(s) left by an interrupted run",
              file=sys.stderr)
    run = Run(corpus, source.name, queries, a.limit)
    interrupted = False
    try:
        if a.from_file:
            for path in a.from_file:
                try:
                    run.take(source.replay(path), queries)
                except ScraperError as exc:
                    run.error(str(exc), exc)
        elif source.name == "themuse":
            # The only source whose API filters: one paged search per city and title.
            for q in queries:
                run.bar.set_description(q.label(source.name))
                try:
                    run.take(source.search(q), [q])
                except ScraperError as exc:
                    run.error(f"{q.label(source.name)}: {exc}", exc)
        else:
            try:
                run.take(source.search(Query()), queries)
            except ScraperError as exc:
                run.error(str(exc), exc)
    except KeyboardInterrupt:
        interrupted = True
    figures = corpus.finish()
    print(run.summary(figures))
    if run.offline:
        print(f"hint: {source.name}'s host could not be reached. Offline, replay saved responses with "
              "--from-file (README: Gathering postings), or build the whole corpus from ../shared/data "
              "with `make corpus`.", file=sys.stderr)
    if interrupted:
        print("interrupted: what was gathered is saved; run the same command again to continue "
              "(responses already fetched come from the cache)", file=sys.stderr)
        return 130
    if run.errors and run.counts["new"] + run.counts["duplicate"]:
        print(f"error: the run is incomplete: {len(run.errors)} part(s) failed (see the warnings above), so "
              "postings are missing; run the same command again to fetch what failed (what was fetched comes "
              "from the cache)", file=sys.stderr)
        return 1
    if run.counts["new"] + run.counts["duplicate"] == 0:
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


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["compile"]:
            sys.exit(compile_corpus(build_compile_parser().parse_args(argv[1:])))
        parser = build_parser()
        args = parser.parse_args(argv)
        check_args(parser, args)
        sys.exit(gather(args))
    except ScraperError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except OSError as exc:  # a corpus folder that cannot be made, a --file that is a folder, ...
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        sys.exit(2)
