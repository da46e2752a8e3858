"""The known-words guard, truncation (top-p, min-p) and lengths drawn from the corpus, in the C draw."""

import ctypes
import re
import statistics

import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from charlm import Generator, SampleSettings
from charlm.data import Vocab
from charlm.profile import FLOOR_MARGIN, CorpusProfile
from charlm.sampling import native
from charlm.sampling.batch import VocabTables
from charlm.sampling.known_words import word_trie
from dreamjobs.corpus_format import DOC_END, words

TAG = re.compile(r"<[^>]*>")
# A word the guard checks: letters that follow neither a letter, a digit (a number such as 401k) nor "&" (an entity).
CHECKED = re.compile(r"(?<![0-9a-z&])[a-z]+")


def unknown_words(text: str, known: set[str]) -> set[str]:
    """The checked words of a posting not in `known` (a posting cut at its length may end mid-word: not counted)."""
    if not text.endswith(DOC_END):
        text = re.sub(r"(<[^>]*|[A-Za-z]+)$", "", text)
    return {w for w in CHECKED.findall(TAG.sub(" ", text).lower()) if w not in known}


@pytest.fixture(scope="module")
def gen(tiny_run):
    return Generator.from_checkpoint(tiny_run / "best.pt")


def test_a_trained_run_keeps_its_words_and_lengths_beside_its_checkpoints(gen, tiny_run):
    assert (tiny_run / "profile.json.gz").is_file() and gen.vocab_tables.known_words
    assert "engineer" in gen.profile.words and gen.profile.words == tuple(sorted(set(gen.profile.words)))
    assert len(gen.profile.lengths) == 101 and list(gen.profile.lengths) == sorted(gen.profile.lengths)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 2), temperature=st.floats(0.5, 2.0), company=st.sampled_from([None, "Dorblax Muux"]))
def test_the_guard_never_lets_an_unknown_word_out(gen, seed, temperature, company):
    text = gen.sample(SampleSettings(seed=seed, temperature=temperature, max_length=400, company=company))
    known = set(gen.profile.words) | set(words(company or ""))
    assert not unknown_words(text, known), text


def test_without_the_guard_a_hot_toy_model_makes_words_up(gen):
    texts = gen.generate(8, SampleSettings(seed=1, temperature=2.0, max_length=400, real_words=False))
    assert any(unknown_words(t, set(gen.profile.words)) for t in texts)


def test_the_guard_never_stalls_a_row_and_every_posting_still_ends(gen):
    texts = gen.generate(6, SampleSettings(seed=7, temperature=1.5, max_length=6000, wrap_up_after=300))
    assert all(t.endswith(DOC_END) for t in texts)


def test_the_trie_knows_exactly_its_words():
    letters, first, end = word_trie(["an", "and", "b"])
    def walk(word):
        node = 0
        for ch in word:
            bit = ord(ch) - ord("a")
            if not letters[node] >> bit & 1:
                return None
            node = first[node] + bin(int(letters[node]) & ((1 << bit) - 1)).count("1")
        return node
    assert [bool(end[walk(w)]) for w in ("an", "and", "b", "a")] == [True, True, True, False]
    assert walk("ab") is None and walk("c") is None


def draws(logits: list[float], n: int = 400, **row_settings) -> set[int]:
    """The ids the C draw picks over n seeds from fixed logits."""
    vocab, lib = Vocab("abcd"), native.lib()
    tables = VocabTables(vocab)
    seen = set()
    for seed in range(n):
        row = native.Row()
        row.seed, row.temperature, row.top_p, row.min_p, row.max_length = seed, 1.0, 1.0, 0.0, 10
        for key, value in row_settings.items():
            setattr(row, key, value)
        rows, out, scratch = (native.Row * 1)(row), torch.zeros(1, dtype=torch.int32), torch.zeros(8)
        z = torch.log(torch.tensor([logits]))
        lib.dj_sample(ctypes.byref(tables.struct), rows, 1, z.data_ptr(), out.data_ptr(), scratch.data_ptr())
        seen.add(int(out[0]))
    return seen


def test_top_p_keeps_the_fewest_likeliest_characters_that_hold_the_share():
    probs = [0.1, 0.4, 0.2, 0.3]
    assert draws(probs) == {0, 1, 2, 3}
    assert draws(probs, top_p=0.5) == {1, 3}  # 0.4 alone falls short of 0.5
    assert draws(probs, top_p=0.4) == {1}
    assert draws(probs, top_p=0.85) == {1, 2, 3}


def test_min_p_leaves_out_what_is_less_likely_than_its_share_of_the_likeliest():
    probs = [0.1, 0.4, 0.2, 0.3]
    assert draws(probs, min_p=0.3) == {1, 2, 3}  # 0.1 < 0.3 x 0.4
    assert draws(probs, min_p=0.6) == {1, 3}


def test_drawn_lengths_follow_the_corpus_distribution():
    lengths = [1000 + 40 * i for i in range(101)]  # uniform from 1,000 to 5,000
    profile = CorpusProfile(("a",), tuple(map(float, lengths)))
    drawn = [profile.draw_length(seed) for seed in range(4000)]
    for q, cut in zip((10, 50, 90), statistics.quantiles(drawn, n=10)[0::4]):
        assert abs(cut - (1000 + 40 * q)) < 120, (q, cut)
    assert profile.draw_length(12) == profile.draw_length(12)


def test_a_guarded_posting_does_not_end_before_its_floor(gen):
    steady = CorpusProfile(gen.profile.words, (float(FLOOR_MARGIN + 1200),) * 101)
    floored = Generator(gen.model, gen.vocab, profile=steady)
    for text in floored.generate(3, SampleSettings(seed=3, max_length=20000)):
        assert text.endswith(DOC_END) and len(text) - len("<html>") >= 1200 - len("<html>")
