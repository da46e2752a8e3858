"""Word shares: a body's words steered to the corpus's shares through the known-words trie, in the C draw."""

import shutil
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from charlm import Generator, SampleSettings
from charlm.sampling.known_words import LETTERS, word_nodes, word_trie
from charlm.sampling.word_shares import CLIP, STEP, WORD_SHARES, WordShares, body_counts, load_word_shares
from dreamjobs.corpus_format import FRAME_ELEMENTS, words

VOCABULARY = ["a", "an", "and", "ant", "data", "date", "team", "teams"]


def steps(trie, word: str) -> list[int]:
    """The trie's nodes along a word, root first."""
    letters, first, _ = trie
    nodes = [0]
    for ch in word:
        bit, node = LETTERS.index(ch), nodes[-1]
        nodes.append(int(first[node]) + bin(int(letters[node]) & ((1 << bit) - 1)).count("1"))
    return nodes


def shares_of(corpus: Counter, model: Counter, postings: int = 200, repeated: float = 0.5) -> WordShares:
    """Word shares whose first uses are `repeated` of each word's uses (at least one)."""
    def firsts(counts):
        return Counter({w: max(1, int(c * repeated)) for w, c in counts.items()})
    return WordShares(corpus, model, postings, firsts(corpus), firsts(model))


def test_a_words_letters_and_its_end_add_up_to_its_log_ratio_first_used_and_repeated():
    shares = shares_of(Counter(a=50, an=30, data=10, date=10, team=40, teams=5, ant=1),
                       Counter(a=20, an=90, data=40, date=2, team=40, teams=30, **{"and": 7}))
    trie = word_trie(VOCABULARY)
    t = shares.tables(trie, list("ab."))
    firsts, repeats = shares.log_ratios()
    written = np.zeros(len(t.shares))  # a row's Row.repeats once it has written "data" and "team"
    for w in ("data", "team"):
        node = steps(trie, w)[-1]
        while node >= 0:
            written[node] += t.repeat_add[steps(trie, w)[-1]]
            node = t.parent[node]
    row = t.shares + np.log1p(written / t.steered)  # the kernel's row_shares
    for w in VOCABULARY:
        path = steps(trie, w)
        for odds, own, ratio in ((t.shares, t.shares_end, firsts[w]),
                                 (row, t.repeat_end if w in ("data", "team") else t.shares_end,
                                  repeats[w] if w in ("data", "team") else firsts[w])):
            # what the kernel adds over the word: each letter's change, then the end's
            letters = sum(odds[b] - odds[a] for a, b in zip(path, path[1:]))
            assert letters + own[path[-1]] - odds[path[-1]] + odds[0] == pytest.approx(ratio, abs=0.01), w
    assert word_nodes(trie, ["teams"])[0] == steps(trie, "teams")[-1]
    assert t.parent[0] == -1 and all(t.parent[n] < n for n in range(1, len(t.parent)))


def test_a_word_the_model_overwrites_is_steered_down_a_rare_one_takes_its_bands_ratio_and_none_past_the_clip():
    corpus = Counter({"client": 100, "years": 500, "rare": 1, "the": 10_000})
    model = Counter({"client": 300, "years": 100, "rare": 3, "the": 10_000})
    firsts, repeats = shares_of(corpus, model, 10).log_ratios()
    assert firsts["client"] < -0.9 and firsts["years"] > 0.9 and repeats["client"] < -0.9
    assert abs(firsts["rare"]) < 0.3  # a few counts say little, and its band has no other word
    assert abs(firsts["the"]) < 0.05
    extreme = shares_of(Counter(x=10_000, y=10), Counter(x=1, y=10_000), 10).log_ratios()[0]
    assert extreme["x"] == pytest.approx(CLIP) and extreme["y"] == pytest.approx(-CLIP)
    # Ten rare words the corpus repeats and the model does not: each, counted a few times, is
    # steered towards repeating as its band is.
    rare = {f"w{i}": 6 for i in range(10)}
    _, repeats = WordShares(Counter({**rare, "the": 1000}), Counter({**{w: 1 for w in rare}, "the": 1000}), 10,
                            Counter({**{w: 2 for w in rare}, "the": 10}), Counter({**{w: 1 for w in rare}, "the": 10})
                            ).log_ratios()
    assert all(repeats[w] > 0.5 for w in rare) and abs(repeats["the"]) < 0.05


def test_a_later_round_steers_further_a_word_the_first_steered_too_little_and_the_sum_stays_clipped():
    corpus = Counter({"client": 100, "years": 500, "the": 10_000})
    first = shares_of(corpus, Counter({"client": 300, "years": 100, "the": 10_000}), 10)
    # Steered by the first round, the model still writes "client" twice as often as its corpus, and
    # "years" as often: the second round lowers the one further and leaves the other.
    again = Counter({"client": 200, "years": 500, "the": 10_000})
    second = replace(first, rounds=((again, Counter({w: max(1, c // 2) for w, c in again.items()})),))
    (one, _), (two, _) = first.log_ratios(), second.log_ratios()
    assert two["client"] < one["client"] - 0.25 and two["years"] == pytest.approx(one["years"], abs=0.1)
    far = replace(second, rounds=second.rounds * 4)  # four more rounds saying "client" is overwritten
    assert far.log_ratios()[0]["client"] == pytest.approx(-CLIP)


def test_only_the_bodies_words_and_symbols_are_counted():
    posting = ("<html>\n<head><title>Analyst - Acme - Paris</title></head>\n<body>\n<h1>Analyst</h1>\n"
               "<h2>Acme</h2>\n<h3>Paris</h3>\n<p>Data and data.</p>\n</body>\n</html>\n")
    uses, firsts = body_counts([posting, posting])
    assert uses == Counter({"data": 4, "and": 2, ".": 2}) and firsts == Counter({"data": 2, "and": 2, ".": 2})


def test_word_shares_are_saved_beside_a_checkpoint_and_a_damaged_file_is_none(tmp_path):
    shares = WordShares(Counter(a=3, b=1), Counter(a=1), 20, Counter(a=1, b=1), Counter(a=1),
                        ((Counter(a=2, c=1), Counter(a=1, c=1)),))
    assert shares.save(tmp_path) == tmp_path / WORD_SHARES
    assert load_word_shares(tmp_path / "best.pt") == shares
    (tmp_path / WORD_SHARES).write_bytes(b"not gzip")
    assert load_word_shares(tmp_path / "best.pt") is None
    assert load_word_shares(tmp_path / "missing" / "best.pt") is None


@pytest.fixture(scope="module")
def steered_run(tiny_run, tmp_path_factory):
    """The tiny run, with word shares that say its model writes "work" ten times as often as its corpus."""
    run = tmp_path_factory.mktemp("steered") / "tiny"
    shutil.copytree(tiny_run, run, symlinks=True)
    plain = Generator.from_checkpoint(run / "best.pt")
    bodies = plain.generate(32, SampleSettings(seed=1, max_length=600))
    model, model_firsts = body_counts(bodies)
    corpus, corpus_firsts = Counter(model), Counter(model_firsts)
    corpus["work"], corpus_firsts["work"] = max(1, model["work"] // 10), max(1, model_firsts["work"] // 10)
    WordShares(corpus, model, 32, corpus_firsts, model_firsts).save(run)
    return run, bodies


def body_words(posting: str) -> list[str]:
    frame = FRAME_ELEMENTS.search(posting)
    return words(posting[frame.end():]) if frame else []


def test_the_sampler_steers_a_word_the_model_overwrites_down_and_only_when_asked(steered_run):
    run, plain = steered_run
    gen = Generator.from_checkpoint(run / "best.pt")
    assert gen.vocab_tables.word_shares and gen.shares_on(gen.settings())
    steered = gen.generate(32, SampleSettings(seed=1, max_length=600))
    off = gen.generate(32, SampleSettings(seed=1, max_length=600, word_shares=False))
    assert off == plain  # without them the text is the model's own, seed for seed
    before = sum(body_words(p).count("work") for p in plain)
    after = sum(body_words(p).count("work") for p in steered)
    # Its odds fall 4-fold at most (CLIP) against a toy model sure of its words.
    assert before >= 16 and after < 0.75 * before, (before, after)
    # The frame is the model's: steering starts past it.
    assert [FRAME_ELEMENTS.search(p).group(0) for p in steered[:4]] == [FRAME_ELEMENTS.search(p).group(0) for p in plain[:4]]


def test_a_run_without_word_shares_samples_as_before(tiny_run):
    gen = Generator.from_checkpoint(tiny_run / "best.pt")
    assert not gen.vocab_tables.word_shares and not gen.shares_on(gen.settings())


def type_token(postings: list[str]) -> float:
    return sum(len(set(ws)) / len(ws) for ws in map(body_words, postings) if ws) / len(postings)


def test_a_row_repeats_the_words_it_wrote_where_the_corpus_repeats_them_more(steered_run, tmp_path):
    run, plain = steered_run
    model, firsts = body_counts(plain)
    repeating = tmp_path / "tiny"
    shutil.copytree(run, repeating, symlinks=True)
    corpus = firsts + Counter({w: 4 * (c - firsts[w]) for w, c in model.items()})  # each word's repeats 4-fold
    WordShares(corpus, model, 32, firsts, firsts).save(repeating)
    steered = Generator.from_checkpoint(repeating / "best.pt").generate(32, SampleSettings(seed=1, max_length=600))
    assert type_token(steered) < type_token(plain) - 0.03, (type_token(steered), type_token(plain))


def test_a_symbol_is_steered_as_a_word_is(steered_run, tmp_path):
    run, plain = steered_run
    model, firsts = body_counts(plain)
    assert model["."] > firsts["."] > 0 and "<" not in model  # counted in text, not in tags
    fewer = tmp_path / "tiny"
    shutil.copytree(run, fewer, symlinks=True)
    corpus, corpus_firsts = Counter(model), Counter(firsts)
    corpus[","], corpus_firsts[","] = max(1, model[","] // 10), max(1, firsts[","] // 10)
    WordShares(corpus, model, 32, corpus_firsts, firsts).save(fewer)
    steered = Generator.from_checkpoint(fewer / "best.pt").generate(32, SampleSettings(seed=1, max_length=600))
    before, after = (sum(p[FRAME_ELEMENTS.search(p).end():].count(",") for p in ps) for ps in (plain, steered))
    assert before >= 16 and after < 0.75 * before, (before, after)
