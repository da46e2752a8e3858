"""Word shares: a body's words steered to the corpus's shares through the known-words trie, in the C draw."""

import shutil
from collections import Counter

import pytest

from charlm import Generator, SampleSettings
from charlm.sampling.known_words import LETTERS, word_nodes, word_trie
from charlm.sampling.word_shares import CLIP, STEP, WORD_SHARES, WordShares, body_word_counts, load_word_shares
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


def test_a_words_letters_and_its_end_add_up_to_its_log_ratio():
    shares = WordShares(Counter(a=50, an=30, data=10, date=10, team=40, teams=5, ant=1),
                        Counter(a=20, an=90, data=40, date=2, team=40, teams=30, **{"and": 7}), 200)
    trie = word_trie(VOCABULARY)
    odds, at_end = shares.node_odds(trie)
    ratios = shares.log_ratios()
    for w in VOCABULARY:
        path = steps(trie, w)
        letters = sum(odds[b] - odds[a] for a, b in zip(path, path[1:]))
        # what the kernel adds over the word: each letter's change, then the end's
        assert letters + at_end[path[-1]] - odds[path[-1]] + odds[0] == pytest.approx(ratios[w], abs=STEP), w
    assert word_nodes(trie, ["teams"])[0] == steps(trie, "teams")[-1]


def test_a_word_the_model_overwrites_is_steered_down_a_rare_one_kept_and_none_past_the_clip():
    corpus = Counter({"client": 100, "years": 500, "rare": 1, "the": 10_000})
    model = Counter({"client": 300, "years": 100, "rare": 3, "the": 10_000})
    ratios = WordShares(corpus, model, 10).log_ratios()
    assert ratios["client"] < -0.9 and ratios["years"] > 0.9
    assert abs(ratios["rare"]) < 0.3  # a few counts say little
    assert abs(ratios["the"]) < 0.05
    extreme = WordShares(Counter(x=10_000, y=10), Counter(x=1, y=10_000), 10).log_ratios()
    assert extreme["x"] == pytest.approx(CLIP) and extreme["y"] == pytest.approx(-CLIP)


def test_only_the_bodies_words_are_counted():
    posting = ("<html>\n<head><title>Analyst - Acme - Paris</title></head>\n<body>\n<h1>Analyst</h1>\n"
               "<h2>Acme</h2>\n<h3>Paris</h3>\n<p>Data and data.</p>\n</body>\n</html>\n")
    assert body_word_counts([posting]) == Counter(data=2, **{"and": 1})


def test_word_shares_are_saved_beside_a_checkpoint_and_a_damaged_file_is_none(tmp_path):
    shares = WordShares(Counter(a=3, b=1), Counter(a=1), 20)
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
    model = body_word_counts(bodies)
    corpus = Counter({w: c for w, c in model.items()})
    corpus["work"] = max(1, model["work"] // 10)
    WordShares(corpus, model, 32).save(run)
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
