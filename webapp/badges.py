"""Quality badges of a posting, computed once when it is saved and stored with it.

    well_formed      every tag closes in order and the posting ends
    coherent_frame   the title line repeats h1-h3 exactly
    longest_copy     the longest stretch copied verbatim from the model's corpus; copied when
                     above COPY_LIMIT (None when the corpus is not at hand)
    length           characters, and against the corpus's median posting
    words_known      the share of its words that the corpus's postings use; made_up when below
                     words_floor, the share that all but 5% of real postings held out of that
                     vocabulary reach (gibberish from a high temperature falls far below it)
    family, level    what the job classifier reads in the body, with its confidence
    agrees           whether that family is the one the posting's own title maps to
"""

from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass
from pathlib import Path

from charlm import COPY_LIMIT, CopyFinder, coherent_frame, vocab_share, well_formed, words
from dreamjobs.caching import built_once
from dreamjobs.cli import UserError
from dreamjobs.corpus_format import split_documents
from flask import current_app
from jobclass import JobClassifier, agreement


HELD_OUT = 10  # every tenth posting sets the words-known floor against the others' vocabulary
FLOOR_QUANTILE = 5  # percent of real postings allowed below the floor


@dataclass(frozen=True)
class CorpusFacts:
    copies: CopyFinder
    median_length: float
    vocabulary: frozenset[str]  # the words of the corpus's postings but the held-out ones
    words_floor: float | None  # None: too few postings to set one


def words_floor(held_out: list[str], vocabulary: frozenset[str]) -> float | None:
    """The share of known words that all but FLOOR_QUANTILE% of real postings reach."""
    shares = sorted(s for s in (vocab_share(d, vocabulary) for d in held_out) if s is not None)
    if len(shares) < 5:
        return None
    return statistics.quantiles(shares, n=100, method="inclusive")[FLOOR_QUANTILE - 1] if len(shares) >= 20 else shares[0]


@built_once(maxsize=2)
def _facts(path: str, mtime_ns: int) -> CorpusFacts:
    text = Path(path).read_text(encoding="utf-8")
    docs = split_documents(text)
    held_out = docs[::HELD_OUT]
    vocabulary = frozenset(w for i, d in enumerate(docs) if i % HELD_OUT for w in words(d))
    return CorpusFacts(CopyFinder(text), statistics.median(len(d) for d in docs), vocabulary,
                       words_floor(held_out, vocabulary))


def corpus_facts(path: str | None) -> CorpusFacts | None:
    """The copy index and median length of a corpus, built once per file version (a few seconds)."""
    if not path or not Path(path).is_file():
        return None
    return _facts(str(Path(path).resolve()), Path(path).stat().st_mtime_ns)


def compute_badges(text: str, corpus: str | None, classifier: JobClassifier | None) -> dict:
    """A new posting's badges, computed once when it is saved (db.stored_badges reads them back)."""
    out = {"well_formed": well_formed(text), "coherent_frame": coherent_frame(text), "length": len(text),
           "copy_limit": COPY_LIMIT}
    facts = corpus_facts(corpus)
    if facts is not None:
        longest = facts.copies.longest_copy(text)
        out.update(longest_copy=longest, copied=longest > COPY_LIMIT, corpus_median_length=facts.median_length,
                   length_vs_corpus=round(len(text) / facts.median_length - 1, 3))
        known = vocab_share(text, facts.vocabulary)
        if known is not None and facts.words_floor is not None:
            out.update(words_known=round(known, 4), words_floor=round(facts.words_floor, 4),
                       made_up=known < facts.words_floor)
    if classifier is not None:
        labels = classifier.predict([text])[0]
        out.update(labels.public(), agrees=agreement(text, labels))
    return out


_lock = threading.Lock()


def get_classifier() -> JobClassifier | None:
    """The app's job classifier (config CLASSIFIER), loaded on first use; None when there is none."""
    ext = current_app.extensions
    with _lock:
        if "classifier" not in ext:
            path = current_app.config.get("CLASSIFIER")
            try:
                ext["classifier"] = JobClassifier.load(path) if path and Path(path).is_file() else None
            except UserError as exc:
                current_app.logger.warning("no job labels: %s", exc)
                ext["classifier"] = None
        return ext["classifier"]
