"""The copy guard: guarded postings leave the corpus before a long verbatim copy."""

from pathlib import Path

import numpy as np
import pytest
from conftest import TINY, posting

from charlm import checkpoint as ckpt_io
from charlm.sampling.generator import Generator
from charlm.quality.copies import CopyFinder as ExactCopies
from charlm.copies import code_points, window_hashes
from charlm.sampling.copy_guard import Q, CopyGuard, CorpusWindows


ANTHEM = ("We are an equal opportunity employer and we celebrate diversity, and we are committed "
          "to building an inclusive environment for all of our employees and applicants.")


@pytest.fixture(scope="module")
def reciter(tmp_path_factory) -> Path:
    """A small model that has learned a few postings by heart (a test's stand-in for the demo's boilerplate)."""
    from charlm.train import main

    base = tmp_path_factory.mktemp("reciter")
    docs = [posting(t, c, "Seattle, WA", ANTHEM, ["Python", "SQL"])
            for t, c in [("Data Scientist", "Acme"), ("Analyst", "Globex"), ("Engineer", "Hooli")]]
    (base / "corpus.txt").write_text("".join(docs) * 20)
    assert main(["--data", str(base / "corpus.txt"), "--checkpoint-dir", str(base), "--run-name", "r",
                 "--max-epochs", "6", *TINY, "--rnn-size", "64", "--learning-rate", "0.01"]) == 0
    return base / "r" / "best.pt"


def test_the_index_knows_every_window_of_the_corpus_and_little_else():
    corpus = "We are an equal opportunity employer and value diversity at our company. " * 3
    index = CorpusWindows(corpus)
    inside = window_hashes(code_points(corpus[5:5 + Q]), Q)
    outside = window_hashes(code_points("We are an equal chance employer who values all"[:Q]), Q)
    assert index.contains(inside).all() and not index.contains(outside).any()
    assert not CorpusWindows("too short").contains(np.array([1, 2], dtype=np.uint64)).any()


def test_the_guard_follows_each_row_as_its_windows_enter_and_leave_the_corpus():
    corpus = ANTHEM + " Apply today."
    chars = "".join(sorted(set(corpus + "xz!")))
    guard = CopyGuard(CorpusWindows(corpus), chars, capacity=3)
    # Row 0 recites the corpus, then leaves it; row 1 writes what the corpus never says; row 2 joins
    # with a prime that is already a copy, then recites on.
    texts = [ANTHEM[:60] + "xx!zx" + ANTHEM[:40], "xz!" * 35, ANTHEM[:100]]
    guard.start(2, [chars.index(c) for c in texts[2][:40]], limit=60)
    fed = ["", "", texts[2][:40]]
    for step in range(60):
        ids = [chars.index(t[len(f)]) for t, f in zip(texts, fed)]
        guard.feed(np.array(ids, dtype=np.int32))
        fed = [f + t[len(f)] for t, f in zip(texts, fed)]
        for row, text in enumerate(fed):
            hits = [ANTHEM.find(text[i:i + Q]) >= 0 if i + Q <= len(text) else False for i in range(len(text))]
            run = 0
            for hit in hits[:len(text) - Q + 1]:
                run = run + 1 if hit else 0
            assert guard.seen[row] == len(text)
            assert guard.run[row] == run, (step, row)
            if len(text) >= Q:
                assert guard.h[row] == window_hashes(code_points(text[-Q:]), Q)[0]
    # Row 2 has copied 100 characters against its limit of 60: it must leave the corpus now.
    assert guard.copying(3) == [2]
    mask = guard.continuing(2)
    assert mask[chars.index(ANTHEM[100])] and mask.sum() == 1


def test_guarded_postings_copy_no_more_than_max_copy_of_the_corpus(reciter):
    gen = Generator.from_checkpoint(reciter)
    assert gen.copy_index is not None  # its corpus is where its checkpoint says
    corpus = Path(ckpt_io.load(reciter)["train_config"]["data"]).read_text()
    exact = ExactCopies(corpus)

    def body_copies(posts):  # the frame repeats the corpus's by design; the body is the model's
        return [exact.longest_copy(p.split("</h3>\n", 1)[-1]) for p in posts]

    free = body_copies(gen.generate(8, temperature=0.8, seed=3, max_length=800, max_copy=None))
    held = body_copies(gen.generate(8, temperature=0.8, seed=3, max_length=800, max_copy=2 * Q))
    assert max(free) > 2 * Q  # this tiny model recites its tiny corpus
    assert max(held) <= 2 * Q, held


def test_a_body_under_a_frame_the_corpus_holds_still_opens_with_its_tag(reciter):
    """The frame of a posting asked for with a corpus posting's fields is a copy of it, by design: the
    guard steers the body's words away from the corpus, but leaves the body its opening tag."""
    gen = Generator.from_checkpoint(reciter)
    posts = gen.generate(4, seed=1, max_length=300, max_copy=2 * Q, title="Data Scientist", company="Acme",
                         location="Seattle, WA")
    assert all(p.split("</h3>\n", 1)[1].startswith("<") for p in posts), [p[:200] for p in posts]


def test_without_its_corpus_a_model_samples_unguarded(tiny_run, tmp_path):
    ckpt = ckpt_io.load(tiny_run / "best.pt")
    ckpt["train_config"]["data"] = str(tmp_path / "gone.txt")
    moved = tmp_path / "moved.pt"
    ckpt_io.atomic_save(ckpt, moved)
    assert Generator.from_checkpoint(moved).copy_index is None
