"""The header in view (issue 40): which characters are the header, the pinned cache against the
training windows' attention, and a tiny model that uses its header past its window."""

import random
from dataclasses import replace

import pytest
import torch

from charlm.data import StreamBatches, Vocab
from charlm.errors import DataError
from charlm.models import ModelConfig, build
from charlm.models.header import PINNED, HeaderMatcher, HeaderWindows, with_header_ids
from dreamjobs.corpus_format import HEAD, LEAD, document

FILLER = "<p>" + "the team builds tools and ships them every week with care. " * 3 + "</p>\n"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def apply_to(company: str) -> str:
    """A posting whose last line repeats its company, 230 characters past its header."""
    return document(company, company, company, FILLER + f"<p>Apply to {company}</p>")


def header_model(vocab: Vocab, slots: int = 48, block_size: int = 64, seed: int = 0):
    config = ModelConfig(vocab_size=len(vocab), model="transformer", rnn_size=32, num_layers=2, n_head=2,
                         block_size=block_size, dropout=0.0, header_slots=slots)
    if slots:
        config = with_header_ids(config, vocab)
    torch.manual_seed(seed)
    return build(config)


def postings(n: int = 3) -> list[str]:
    return [document(f"Job {i}", f"Company {i}", "Seattle, WA", FILLER * (i + 1)) for i in range(n)]


def test_the_header_is_the_title_line_pinned_from_the_character_that_closes_it():
    doc = postings(1)[0]
    vocab = Vocab.from_text(LEAD + doc)
    config = header_model(vocab).config
    matcher, slots, pinned_at = HeaderMatcher(config, [0, 0, 0, 0]), [], None
    for i, c in enumerate(vocab.encode(LEAD + doc).tolist()):
        slot = matcher.feed(c)
        if slot >= 0:
            slots.append(i)
        if pinned_at is None and matcher.meta[PINNED]:
            pinned_at = i
    title = doc[len(HEAD):doc.index("</title>") + len("</title>")]  # "Job 0 - Company 0 - Seattle, WA</title>"
    assert matcher.meta[PINNED] == len(title) == len(slots)
    assert "".join((LEAD + doc)[i] for i in slots) == title
    assert pinned_at == slots[-1]  # the '>' of </title> is the first to see it
    # A header longer than the slots is not pinned; the next posting's HEAD drops the last one.
    short = HeaderMatcher(replace(config, header_slots=16), [0, 0, 0, 0])
    for c in vocab.encode(doc).tolist():
        short.feed(c)
    assert short.meta[PINNED] == 0
    for c in vocab.encode(LEAD + HEAD).tolist():
        matcher.feed(c)
    assert matcher.meta[PINNED] == 0


def test_the_pinned_cache_gives_the_loss_of_the_training_windows_attention():
    """A window that starts at a posting: training's (the header read on its own, then pinned for
    the window) and the stateful forward's (the header pinned as it is read) see the same."""
    docs = postings(3)
    vocab = Vocab.from_text(LEAD + "".join(docs))
    model = header_model(vocab, block_size=128).eval()
    for block in model.blocks:
        block.attn.header_gate.data.normal_(0, 0.1)
    ids = [vocab.encode(d) for d in docs]
    windows = HeaderWindows([vocab.encode(LEAD)] + ids, 1, 128, model.config, vocab.encode(LEAD))
    (x, segment, pin_len, visible), y = windows.batch(0)
    assert x[0, :len(LEAD) + len(HEAD)].tolist() == vocab.encode(LEAD + HEAD).tolist()  # the window starts the posting
    assert visible.any() and pin_len.item() > 0
    with torch.no_grad():
        trained = model((x, segment, pin_len, visible), targets=y)[0]
        logits, _ = model(x, model.init_state(1))
    stateful = torch.nn.functional.cross_entropy(logits[0], y[0])
    assert trained.item() == pytest.approx(stateful.item(), abs=1e-5)
    with torch.no_grad():  # the gates decide: at zero the header changes nothing
        for block in model.blocks:
            block.attn.header_gate.zero_()
        assert model((x, segment, pin_len, visible), targets=y)[0].item() != pytest.approx(trained.item(), abs=1e-4)


def test_read_in_chunks_or_a_character_at_a_time_the_pinned_cache_gives_the_same_logits():
    docs = postings(3)  # 3 postings, 900 characters and more: each header dropped and pinned anew
    vocab = Vocab.from_text(LEAD + "".join(docs))
    model = header_model(vocab).eval()
    for block in model.blocks:
        block.attn.header_gate.data.normal_(0, 0.1)
    ids = vocab.encode(LEAD + "".join(docs))[None]
    with torch.no_grad():
        whole = model(ids, model.init_state(1))[0]
        state, parts = model.init_state(1), []
        for start in range(0, ids.shape[1], 37):
            out, state = model(ids[:, start:start + 37], state)
            parts.append(out)
    assert torch.allclose(whole, torch.cat(parts, 1), atol=1e-5)


def train(model, docs: list[torch.Tensor], lead: torch.Tensor, steps: int):
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    done = 0
    while done < steps:
        batches = (HeaderWindows(docs, 16, 64, model.config, lead) if model.config.header_slots
                   else StreamBatches(torch.cat(docs), 16, 64))
        for i in range(min(len(batches), steps - done)):
            loss = model(*batches.batch(i)[:1], targets=batches.batch(i)[1])[0]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            done += 1
    return model.eval()


def names_its_company(model, vocab: Vocab) -> float:
    """The share of postings whose company the model predicts after "Apply to ", 230 characters past
    its header and so 3.6 windows of 64 beyond the window's reach."""
    right = 0
    for company in LETTERS:
        text = LEAD + apply_to(company)
        at = text.index("Apply to ") + len("Apply to ")
        with torch.no_grad():
            logits = model(vocab.encode(text[:at])[None], model.init_state(1))[0]
        right += vocab.chars[int(logits[0, -1].argmax())] == company
    return right / len(LETTERS)


def test_a_tiny_model_trained_with_its_header_names_its_company_past_its_window():
    rng = random.Random(0)
    train_docs = [apply_to(rng.choice(LETTERS)) for _ in range(400)]
    vocab = Vocab.from_text(LEAD + "".join(train_docs))
    ids, lead = [vocab.encode(d) for d in train_docs], vocab.encode(LEAD)
    with_header = train(header_model(vocab), ids, lead, 1200)
    without = train(header_model(vocab, slots=0), ids, lead, 200)
    assert names_its_company(with_header, vocab) >= 0.9
    assert names_its_company(without, vocab) <= 0.2  # a guess among 26


def test_a_corpus_not_in_the_posting_format_cannot_keep_a_header():
    with pytest.raises(DataError, match="not in the posting format"):
        with_header_ids(ModelConfig(model="transformer", header_slots=16), Vocab.from_text("plain text only"))


@pytest.mark.parametrize("slots", [-16, 20, 512])
def test_header_slots_must_be_whole_tiles_within_the_window(slots):
    with pytest.raises(ValueError, match="header_slots must be a multiple of 16"):
        ModelConfig(model="transformer", header_slots=slots)
