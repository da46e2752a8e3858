"""The known-words guard (and the body's words), truncation (top-p, min-p) and lengths drawn from the corpus, in the C draw."""

import ctypes
import gzip
import json
import re
import shutil
import statistics
from dataclasses import replace

import pytest
import torch
from hypothesis import HealthCheck, example, given, settings, strategies as st

from charlm import Generator, SampleSettings
from charlm.data import Split, Vocab
from charlm.profile import FLOOR_MARGIN, CorpusProfile, company_names, load_profile
from charlm.sampling import native
from charlm.sampling.batch import VocabTables
from charlm.sampling.known_words import LETTERS, add_frame_names, set_own_words, word_trie
from dreamjobs.corpus_format import DOC_END, frame_fields, posting_fields, words
from conftest import COMPANIES

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
@example(seed=479667, temperature=1.0, company="Dorblax Muux")  # a location's word once cut off at its limit
def test_the_guard_never_lets_an_unknown_word_out(gen, seed, temperature, company):
    text = gen.sample(SampleSettings(seed=seed, temperature=temperature, max_length=400, company=company))
    own = posting_fields(text)[1] or ""  # the company asked for, or the one the model named
    assert company is None or own == company
    known = set(gen.profile.words) | set(words(own))
    assert not unknown_words(text, known), text


def test_the_model_may_coin_its_companys_name_and_no_other_word(gen):
    texts = gen.generate(16, SampleSettings(seed=3, temperature=1.5, max_length=1500))
    coined = [unknown_words(t, set(gen.profile.words)) for t in texts]
    assert sum(map(bool, coined)) >= 4
    for text, new in zip(texts, coined):
        assert new <= set(words(posting_fields(text)[1] or "")), text  # its h2's: the line has no extra separator


def test_a_body_may_name_the_company_its_model_coined():
    row = native.Row()
    fields = {"title": "Engineer", "company": "Zentriq Labs", "location": "Austin, TX"}
    add_frame_names(row, fields, frozenset(), frozenset({"engineer", "labs", "austin", "tx"}))
    assert {"".join(LETTERS[i] for i in row.extra[e] if i >= 0) for e in range(row.n_extra)} == {"zentriq"}


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


def company_posting(company: str, body: str) -> str:
    return f"<html><h1>Engineer</h1>\n<h2>{company}</h2>\n<h3>Austin, TX</h3>\n<p>{body}</p></html>"


def test_a_body_may_not_write_a_name_chiefly_its_own_companys():
    postings = [company_posting("Kyndryl", "At Kyndryl we build."), company_posting("Kyndryl", "Kyndryl is hiring."),
                company_posting("Capital One", "Capital One is a bank."),
                company_posting("Capital One", "At Capital One, one team."),
                company_posting("Acme", "We work with Kyndryl. Capital markets are one of our worlds."),
                company_posting("Globex", "Raising capital, one round at a time. Capital One is our bank."),
                company_posting("Initech", "Venture capital is the one thing we do not need.")]
    out, names = company_names(postings)
    # "kyndryl": its own postings' bodies 2, others' 1; "acme": no body, a name all the same. "capital"
    # and "one": 2 each against 3 of others', so they stay; the name "capital one", 2 against 1, is out
    assert out == ("acme", "globex", "initech", "kyndryl") and names == (("capital", "one"),)
    profile = CorpusProfile.of(Split(train=postings, val=postings[:1]))
    assert "kyndryl" in profile.words and profile.company_words == out  # a frame may name it


def body_of(text: str) -> str:
    return text.split("</h3>", 1)[1] if "</h3>" in text else ""


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 2), temperature=st.floats(0.8, 2.0))
def test_a_body_names_no_company_but_its_own(gen, seed, temperature):
    # In the small corpus each body names its own company alone ("Acme is hiring..."): every name is chiefly its own.
    names = {name.lower() for name in COMPANIES}
    assert names <= set(gen.profile.company_words)
    text = gen.sample(SampleSettings(seed=seed, temperature=temperature, max_length=600))
    own = set(words(" ".join(frame_fields(text) or ())))  # a body may repeat its frame's words
    assert not (set(words(body_of(text))) & names) - own, text


def test_without_the_bodys_words_the_toy_model_names_other_companies(gen):
    everywhere = Generator(gen.model, gen.vocab, profile=replace(gen.profile, company_words=None))
    names = {name.lower() for name in COMPANIES}
    texts = everywhere.generate(24, SampleSettings(seed=1, temperature=1.5, max_length=600))
    assert any((set(words(body_of(t))) & names) - set(words(" ".join(frame_fields(t)))) for t in texts if frame_fields(t))


def test_a_profile_from_before_the_names_gets_them_from_its_corpus_or_writes_every_word(tmp_path, tiny_run, gen):
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(tiny_run / "best.pt", run / "best.pt")
    old = {"format": 1, "words": list(gen.profile.words), "lengths": list(gen.profile.lengths)}
    (run / "profile.json.gz").write_bytes(gzip.compress(json.dumps(old).encode()))
    loaded = load_profile(run / "best.pt")
    assert loaded.company_words is None and not VocabTables(gen.vocab, loaded.words, loaded.company_words).body_words
    # its corpus is at hand: the names come from it, and are kept beside the checkpoint
    assert Generator.from_checkpoint(run / "best.pt").profile == gen.profile == load_profile(run / "best.pt")


def next_after(text: str, in_body: bool = True, own: str | None = None) -> set[str]:
    """The characters the C draw picks over 200 seeds, from even logits, after a row wrote `text`
    with words "ab", "cd" and "cda", and the name "ab cd" that a body may not write (but its own)."""
    vocab, lib = Vocab(" ,abcd"), native.lib()
    words_ = ["ab", "cd", "cda"]
    tables = VocabTables(vocab, words_, (), [("ab", "cd")])
    seen = set()
    for seed in range(200):
        row = native.Row()
        row.seed, row.temperature, row.top_p, row.max_length = seed, 1.0, 1.0, 100
        row.real_words, row.word, row.in_body = 1, native.W_BETWEEN, int(in_body)
        row.said[:] = [-1, -1]
        if own:
            set_own_words(row, {"company": own})
        for ch in text:
            lib.dj_row_feed(ctypes.byref(tables.struct), ctypes.byref(row), vocab.index[ch])
        rows, out, scratch = (native.Row * 1)(row), torch.zeros(1, dtype=torch.int32), torch.zeros(2 * len(vocab))
        z = torch.zeros(1, len(vocab))
        lib.dj_sample(ctypes.byref(tables.struct), rows, 1, z.data_ptr(), out.data_ptr(), scratch.data_ptr())
        seen.add(vocab.chars[int(out[0])])
    return seen


def test_a_body_may_write_each_word_of_a_name_but_not_the_name():
    assert next_after("ab cd") == {"a"}  # "cd" may not end there; "cda" may go on
    assert next_after("cd ab cd") == {"a"}
    assert next_after("ab, cd") == {" ", ",", "a"}  # not one after another: more than a space between
    assert next_after("cd cd") == {" ", ",", "a"}
    assert next_after("ab cd", in_body=False) == {" ", ",", "a"}  # the frame may name any company
    assert next_after("ab cd", own="ab cd") == {" ", ",", "a"}  # and the body its own
