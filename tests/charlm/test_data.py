import pytest
import torch

from charlm.data import (
    StreamBatches,
    Vocab,
    epoch_order,
    eval_streams,
    read_corpus,
    split_by_document,
)
from dreamjobs.corpus_format import split_documents
from charlm.errors import DataError, VocabError
from conftest import make_corpus


def test_vocab_round_trip_and_sorted_ids():
    text = "<html>Café</html>"
    vocab = Vocab.from_text(text)
    assert vocab.chars == "".join(sorted(set(text)))
    assert vocab.decode(vocab.encode(text)) == text


def test_vocab_names_unknown_characters():
    vocab = Vocab.from_text("abc")
    with pytest.raises(VocabError, match=r"'é' \(U\+00E9\).*'ü' \(U\+00FC\)"):
        vocab.encode("aébü", "prime")


def test_split_is_by_posting_deterministic_and_disjoint():
    docs = split_documents(make_corpus(50))
    a = split_by_document(docs, 0.2, seed=7)
    b = split_by_document(docs, 0.2, seed=7)
    c = split_by_document(docs, 0.2, seed=8)
    assert (a.train, a.val) == (b.train, b.val)
    assert a.val != c.val
    assert len(a.val) == 10 and len(a.train) == 40
    # Every posting lands whole in exactly one split.
    assert sorted(a.train + a.val) == sorted(docs)
    assert "val 10 postings" in a.describe()


def test_split_needs_two_postings():
    with pytest.raises(DataError, match="at least 2"):
        split_by_document(split_documents(make_corpus(1)), 0.1, seed=1)


def test_epoch_order_reshuffles_per_epoch_but_repeats_for_the_same_epoch():
    docs = [str(i) for i in range(20)]
    assert epoch_order(docs, 1, 3) == epoch_order(docs, 1, 3)
    assert epoch_order(docs, 1, 3) != epoch_order(docs, 1, 4)
    assert sorted(epoch_order(docs, 1, 3)) == sorted(docs)


def test_stream_batches_are_contiguous_streams_with_shifted_targets():
    ids = torch.arange(1001)
    b = StreamBatches(ids, batch_size=4, seq_length=10)
    assert len(b) == 25
    x0, y0 = b.batch(0)
    x1, _ = b.batch(1)
    assert x0.shape == (4, 10)
    assert torch.equal(y0, x0 + 1)
    # Row r of the next batch continues row r of this one.
    assert torch.equal(x1[:, 0], x0[:, -1] + 1)
    # Each row is one contiguous stretch of the text.
    assert torch.equal(b.x[1], torch.arange(250, 500))


def test_stream_batches_reject_a_text_too_small_for_one_batch():
    with pytest.raises(DataError, match="too few for one batch"):
        StreamBatches(torch.arange(100), batch_size=10, seq_length=10)


def test_eval_streams_score_every_target_exactly_once():
    ids = torch.arange(103)
    x, y = eval_streams(ids, 4)
    targets = y[y != -100]
    assert targets.tolist() == list(range(1, 103))
    assert torch.equal(x[y != -100] + 1, targets)


def test_read_corpus_errors(tmp_path):
    with pytest.raises(DataError, match="not found.*scraper"):
        read_corpus(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("  \n")
    with pytest.raises(DataError, match="empty"):
        read_corpus(tmp_path / "empty.txt")
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00abc")
    with pytest.raises(DataError, match="not UTF-8"):
        read_corpus(tmp_path / "bin.txt")
