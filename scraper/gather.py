"""The gathering loop: a source's postings, matched against every query, into the corpus.

A source whose server filters (filters_server_side) is searched once per query; any
other once, with every query matched here. Saved responses (--from-file) go through
the source's own parser. --limit counts per query, and the search stops as soon as
every query has its share. Failures of one part are kept and reported; the rest goes on.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Iterable

from tqdm import tqdm

from .corpus import Corpus
from .errors import FetchError, ScraperError
from .matching import Query
from .posting import Failure, Skip
from .sources import Source

SKIPPED = {"empty": "nothing left after stripping", "other script": "not in Latin script"}


class Gathering:
    """One run's counts (new, duplicate, not matching, skipped), errors, and its progress bar."""

    def __init__(self, corpus: Corpus, source: Source, queries: list[Query], limit: int | None):
        self.corpus, self.source, self.queries, self.limit = corpus, source, queries, limit
        self.counts = Counter()
        self.skipped = Counter()
        self.per_query = Counter()
        self.errors: list[str] = []
        self.offline = False  # a host could not be reached at all
        self.interrupted = False
        self.bar = tqdm(unit=" postings", desc="gathering", dynamic_ncols=True, file=sys.stderr)

    @property
    def gathered(self) -> int:
        return self.counts["new"] + self.counts["duplicate"]

    def full(self, query: Query) -> bool:
        return self.limit is not None and self.per_query[query] >= self.limit

    def take(self, items: Iterable, queries: list[Query]) -> None:
        """Store what matches any of the queries; stops early once every query has its limit."""
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
                outcome = self.corpus.add(item, q.label(self.source.name))
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
            self.offline = True

    def attempt(self, label: str, items: Iterable, queries: list[Query]) -> None:
        """take(), with a failure of this part recorded rather than ending the run."""
        try:
            self.take(items, queries)
        except ScraperError as exc:
            named = label and not str(exc).startswith(label)  # a file's own errors name it already
            self.error(f"{label}: {exc}" if named else str(exc), exc)

    def summary(self, figures: dict | None) -> str:
        """What the run did; figures: the corpus compiled after it, None where nothing was gathered
        (and so nothing was written)."""
        self.bar.close()
        # A posting found by two queries counts once as new and once as duplicate.
        lines = [f"new {self.counts['new']:,}, duplicate {self.counts['duplicate']:,}, "
                 f"not matching {self.counts['not matching']:,}"]
        if self.skipped:
            lines.append("skipped: " + ", ".join(f"{r} {n:,}" for r, n in self.skipped.most_common()))
        if self.errors:
            lines.append(f"errors: {len(self.errors)} (see warnings above)")
        if figures is None:
            lines.append(f"corpus unchanged: nothing was written to {self.corpus.input_path}")
        else:
            lines.append(f"corpus now {figures['postings']:,} postings, {figures['chars']:,} characters, "
                         f"vocabulary {figures['vocab']} -> {self.corpus.input_path}")
        return "\n".join(lines)


def gather(source: Source, queries: list[Query], corpus: Corpus, limit: int | None = None,
           replay: list[str | Path] = ()) -> Gathering:
    """Run the search (or replay saved responses) into the corpus; Ctrl-C stops it with what was
    stored kept. The caller compiles the corpus (corpus.finish()) and reports."""
    run = Gathering(corpus, source, queries, limit)
    try:
        if replay:
            for path in replay:
                run.attempt(str(path), source.replay(path), queries)  # a warning names the file
        elif source.filters_server_side:
            for q in queries:
                run.bar.set_description(q.label(source.name))
                run.attempt(q.label(source.name), source.search(q), [q])
        else:
            run.attempt("", source.search(Query()), queries)
    except KeyboardInterrupt:
        run.interrupted = True
    return run
