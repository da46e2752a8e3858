"""The figures charlm.evaluate reports for a set of sampled postings, against their corpus."""

from __future__ import annotations

import statistics
import sys

from tqdm import tqdm

from ..copies import COPY_LIMIT
from ..data import Split
from .bleed import bleed, top_companies
from .copies import CopyFinder, CopyShare
from .metrics import coherent_frame, has_frame, vocab_share, well_formed, words

QUANTILES = (10, 25, 50, 75, 90)


def quantiles(values: list[int]) -> list[float]:
    """The QUANTILES percentiles of values."""
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else list(values) * 99
    return [cuts[q - 1] for q in QUANTILES]


def sample_figures(samples: list[str], split: Split, corpus: str, stop: str | None) -> dict:
    """What the samples look like against the corpus: form, frame, words, copies, and length
    beside real val postings', with the share that ran into the length cap unfinished."""
    n = len(samples)
    train_words = {w for doc in split.train for w in words(doc)}
    shares = [s for s in (vocab_share(t, train_words) for t in samples) if s is not None]
    with tqdm(total=1, desc="indexing corpus", file=sys.stderr) as bar:
        finder = CopyFinder(corpus)
        bar.update(1)
    copies = [finder.longest_copy(t) for t in tqdm(samples, desc="copies", file=sys.stderr)]
    share = CopyShare("".join(split.train))
    companies = top_companies(split.train)
    val = split.val
    val_lengths = [len(d) for d in val]
    return {
        "well_formed": sum(map(well_formed, samples)) / n,
        "frame": sum(map(has_frame, samples)) / n,
        "coherent_frame": sum(map(coherent_frame, samples)) / n,
        "vocab_words": statistics.fmean(shares) if shares else 0.0,
        "copy_rate": sum(c > COPY_LIMIT for c in copies) / n,
        "median_longest_copy": statistics.median(copies),
        "copy_share": statistics.fmean(map(share, samples)),
        "val_copy_share": statistics.fmean(map(share, val)),
        "median_length": statistics.median(len(t) for t in samples),
        "val_median_length": statistics.median(val_lengths),
        "length_quantiles": quantiles([len(t) for t in samples]),
        "val_length_quantiles": quantiles(val_lengths),
        "cut_off": sum(not (stop and t.endswith(stop)) for t in samples) / n,
        "bleed": bleed(samples, companies), "val_bleed": bleed(val, companies),
    }
