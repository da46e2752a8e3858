"""The company slot: a model that writes "its own company" as one character, which the sampler
fills in from the posting's frame.

A character model learns the corpus's commonest boilerplate by heart, name and all ("Meta is
building...", "At Kyndryl, we design..."), and writes that company's name into a posting of
another company (issue 40: two thirds of the demo's postings). Reading the name off the header
is a copy the model must learn; trained to, it learned instead that any name may come there
(BENCHMARKS.md, "The header in view"). A model trained with --company-slot never spells its
own company in a body: every whole-word mention of the posting's company after its frame
(</h3>) reads COMPANY_SLOT, and the sampler writes the company its frame names in that place
(sampling/company.py). The boilerplate may still be a famous company's, but the name it
gives is the posting's own.

Whether a model uses the slot is read from its vocabulary, which holds COMPANY_SLOT or not;
the title line and the <h1>-<h3> keep the name, so the frame and the known-words guard read
as before.
"""

from __future__ import annotations

import torch

from dreamjobs.corpus_format import FRAME_ELEMENTS, mention

from .data import Vocab

# A private-use character: the scraper drops them (scraper/simplify.py), so no corpus holds one,
# and it sorts after every character a corpus does hold, so the vocabulary's other ids stay put.
COMPANY_SLOT = "\ue000"


def uses_slot(vocab: Vocab) -> bool:
    return COMPANY_SLOT in vocab.index


def slotted(doc: str) -> str:
    """A posting with its body's mentions of its own company (as its <h2> spells it) written as COMPANY_SLOT."""
    m = FRAME_ELEMENTS.search(doc)
    if m is None:
        return doc
    return doc[:m.end()] + mention(m.group(2).strip()).sub(COMPANY_SLOT, doc[m.end():])


def model_text(docs: list[str], vocab: Vocab) -> list[str]:
    """Postings as a model with this vocabulary reads them: slotted where it uses the slot."""
    return [slotted(d) for d in docs] if uses_slot(vocab) else docs


def scored_text(docs: list[str], vocab: Vocab) -> tuple[torch.Tensor, float]:
    """The ids of postings as the model reads them, and what turns a loss per id into nats per
    character of the postings themselves. With the slot, one id stands for a whole name the
    frame gives: the loss of the slotted text over the postings' own length is the loss of the
    name written out by the sampler, so figures compare with a model that spells names."""
    text = "".join(model_text(docs, vocab))
    return vocab.encode(text, "the val split"), len(text) / max(sum(map(len, docs)), 1)


def with_slot(vocab: Vocab) -> Vocab:
    """The vocabulary with COMPANY_SLOT after its characters (ids of the others unchanged)."""
    return vocab if uses_slot(vocab) else Vocab(vocab.chars + COMPANY_SLOT)


def with_rows(model: torch.nn.Module, weights: dict) -> dict:
    """A checkpoint's weights for a model whose vocabulary grew by the slot: each table with a row
    per character (embedding, output layer) gets the mean of its rows for the new one, so the
    slot starts as an average character and the others keep their weights exactly."""
    own = model.state_dict()
    grown = {}
    for key, value in weights.items():
        target = own.get(key)
        if target is not None and value.dim() >= 1 and value.shape[1:] == target.shape[1:] \
                and value.shape[0] + 1 == target.shape[0]:
            value = torch.cat([value, value.float().mean(0, keepdim=True).to(value.dtype)])
        grown[key] = value
    return grown
