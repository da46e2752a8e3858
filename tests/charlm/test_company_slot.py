"""The company slot in training: the body's own company read as one character, the val loss
still per character of the postings, and a checkpoint's vocabulary grown by the slot."""

import torch

from charlm import checkpoint as ckpt_io
from charlm.company_slot import COMPANY_SLOT, scored_text, slotted, uses_slot, with_slot
from charlm.data import Vocab
from charlm.train import main
from tests.conftest import make_corpus, posting

ACME = posting("Data Scientist", "Acme", "Seattle, WA",
               "Acme is hiring. At Acme's lab, Acmeware and Globex are not Acme.", ["Join Acme"])


def test_the_body_names_its_own_company_as_the_slot_and_nothing_else_changes():
    text = slotted(ACME)
    frame_end = text.index("</h3>")
    assert text[:frame_end] == ACME[:frame_end]  # the title line and the h1-h3 keep the name
    body = text[frame_end:]
    assert body.count(COMPANY_SLOT) == 4 and "Acme" not in body.replace("Acmeware", "")
    assert "Acmeware" in body and "Globex" in body  # whole words of its own company only
    assert text.replace(COMPANY_SLOT, "Acme") == ACME
    assert slotted("<p>no frame, Acme</p>") == "<p>no frame, Acme</p>"


def test_val_loss_of_a_slot_model_is_per_character_of_the_postings():
    docs = [ACME, posting("Analyst", "Globex", "Chicago, IL", "Globex grows.", ["SQL"])]
    plain = Vocab.from_text("".join(docs))
    ids, per_char = scored_text(docs, plain)
    assert per_char == 1 and len(ids) == sum(map(len, docs))
    slot = with_slot(plain)
    ids, per_char = scored_text(docs, slot)
    assert len(ids) == sum(len(slotted(d)) for d in docs) and per_char == len(ids) / sum(map(len, docs)) < 1


def test_with_slot_keeps_every_other_id():
    vocab = Vocab.from_text("abc<>")
    grown = with_slot(vocab)
    assert uses_slot(grown) and not uses_slot(vocab) and grown.chars[:-1] == vocab.chars
    assert with_slot(grown) == grown


def test_a_run_trained_with_the_slot_reads_bodies_with_it(tiny_slot_run):
    ckpt = ckpt_io.load(tiny_slot_run / "best.pt")
    assert ckpt["vocab"].endswith(COMPANY_SLOT) and ckpt["train_config"]["company_slot"] is True


def test_init_from_with_the_slot_grows_the_vocabulary_and_keeps_the_weights(tiny_run, tmp_path):
    data = tmp_path / "small.txt"
    data.write_text(make_corpus(60))
    assert main(["--data", str(data), "--init-from", str(tiny_run / "best.pt"), "--company-slot", "--max-epochs", "1",
                 "--learning-rate", "1e-12", "--min-lr", "0", "--checkpoint-dir", str(tmp_path), "--run-name", "grown"]) == 0
    before, after = ckpt_io.load(tiny_run / "best.pt"), ckpt_io.load(tmp_path / "grown" / "best.pt")
    assert after["vocab"] == before["vocab"] + COMPANY_SLOT and after["config"]["vocab_size"] == len(before["vocab"]) + 1
    old, new = before["model_state"], after["model_state"]
    for key in ("embed.weight", "head.weight", "head.bias"):  # one new row: the mean of the others
        assert new[key].shape[0] == old[key].shape[0] + 1
        torch.testing.assert_close(new[key][:-1].float(), old[key].float())
        torch.testing.assert_close(new[key][-1].float(), old[key].float().mean(0))
