"""The realism measure: about 0.5 for real against real, about 1.0 for real against gibberish."""

import random

import pytest

from charlm.quality.realism import discriminate, realism, visible_text
from conftest import make_corpus
from common.corpus_format import split_documents


def postings(n: int, seed: int) -> list[str]:
    return split_documents(make_corpus(n, seed=seed))


def shuffled(text: str, rng: random.Random) -> str:
    chars = list(visible_text(text))
    rng.shuffle(chars)
    return "".join(chars)


def test_real_postings_cannot_be_told_from_real_postings():
    found = realism(postings(60, seed=1), postings(60, seed=2), postings(60, seed=3))
    for d in found.values():
        assert 0.3 <= d.accuracy <= 0.7, d
    assert found["generated"].n == 60


def test_postings_of_shuffled_characters_are_always_told_apart():
    rng = random.Random(0)
    real = postings(60, seed=1)
    d = discriminate([shuffled(t, rng) for t in postings(60, seed=2)], real)
    assert d.accuracy >= 0.95 and d.auc >= 0.95


def test_tags_are_stripped_so_markup_alone_tells_nothing():
    assert visible_text("<html>\n<h1>Data &amp; AI</h1>\n<p>Build   models</p></html>") == "Data & AI Build models"


def test_too_few_postings_for_the_folds_is_refused():
    with pytest.raises(ValueError, match="at least 5 postings"):
        discriminate(postings(3, seed=1), postings(3, seed=2))
