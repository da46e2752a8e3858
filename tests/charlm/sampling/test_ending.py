"""Odds of ending: a posting's close steered by the corpus's hazard of ending over the model's."""

import dataclasses
import shutil
from collections import Counter

import numpy as np
import pytest

from charlm import Generator, SampleSettings
from charlm.sampling.ending import CLIP, END_BIN, corpus_hazards, ending_odds
from charlm.sampling.word_shares import STEP, WordShares, load_word_shares

# A corpus whose postings run 2,000 to 6,000 characters, evenly.
EVEN = tuple(float(x) for x in np.linspace(2000, 6000, 101))


def test_the_corpus_hazard_is_nothing_before_its_shortest_posting_and_everything_at_its_longest():
    h = corpus_hazards(EVEN, 30)
    assert h[:2000 // END_BIN].max() == 0.0 and h[6000 // END_BIN - 1] == pytest.approx(1.0)
    assert all(np.diff(h[2000 // END_BIN:6000 // END_BIN]) > 0)  # of those left, ever more end


def test_a_model_that_ends_early_is_held_back_and_one_like_its_corpus_is_left_alone():
    early = np.linspace(500, 4000, 200).astype(int)
    odds = ending_odds(EVEN, [tuple(early)], 12_000)
    assert odds[1000 // END_BIN] == pytest.approx(-CLIP, abs=0.01)  # the corpus has no posting that short
    assert odds[500 // END_BIN:4000 // END_BIN].max() < -0.5  # of those left at each length, more end than should
    assert odds[5000 // END_BIN] == pytest.approx(0.0, abs=0.01)  # none left to count: the corpus's hazard
    alike = np.linspace(2000, 6000, 400).astype(int)
    assert np.abs(ending_odds(EVEN, [tuple(alike)], 12_000)[2500 // END_BIN:5000 // END_BIN]).max() < 0.35
    # A second round that still ends early is held back further, within the clip.
    twice = ending_odds(EVEN, [tuple(early), tuple(early)], 12_000)
    assert twice[3000 // END_BIN] < odds[3000 // END_BIN] and twice.min() >= -CLIP - STEP


def test_a_posting_that_runs_to_the_cap_counts_as_not_ended():
    cut = ending_odds(EVEN, [(3000,) * 100 + (12_000,) * 100], 12_000)
    ended = ending_odds(EVEN, [(3000,) * 100 + (11_999,) * 100], 12_000)
    assert cut[11_999 // END_BIN] > ended[11_999 // END_BIN]


@pytest.fixture(scope="module")
def counted_run(tiny_run, tmp_path_factory):
    """The tiny run with word shares that change no word (its own counts on both sides), and its postings' lengths."""
    run = tmp_path_factory.mktemp("ending") / "tiny"
    shutil.copytree(tiny_run, run, symlinks=True)
    plain = Generator.from_checkpoint(run / "best.pt")
    own = plain.generate(24, SampleSettings(seed=1, max_length=3000, steer_length=False))
    uses, firsts = Counter(), Counter()
    WordShares(uses, uses, 24, firsts, firsts, model_lengths=tuple(sorted(map(len, own)))).save(run)
    return run, own


def test_the_sampler_ends_postings_where_the_odds_say(counted_run):
    run, own = counted_run
    gen = Generator.from_checkpoint(run / "best.pt")
    settings = SampleSettings(seed=1, max_length=3000)
    assert gen.vocab_tables.end_odds is not None
    natural = np.median([len(p) for p in own])
    # Odds held far down before 1,500 characters: postings run past it.
    gen.vocab_tables.end_odds[:1500 // END_BIN] = -30.0
    held = gen.generate(8, settings)
    assert min(map(len, held)) >= 1500 > natural and all(p.endswith("</html>") for p in held)
    shares = load_word_shares(run / "best.pt")
    assert shares.lengths() == [shares.model_lengths]
    bare = Generator.from_checkpoint(run / "best.pt", word_shares=dataclasses.replace(shares, model_lengths=()))
    assert bare.vocab_tables.end_odds is None  # a run counted before lengths were: drawn lengths, as before
