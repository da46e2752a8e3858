"""Company swap: training that makes a posting's header necessary to name its company.

A model learns the corpus's commonest boilerplate by heart ("Meta is building...", "At
Kyndryl, we design..."), and it names that company whatever its header says: issue 40
measured two thirds of the demo's postings naming another company than their own, and the
header in view (models/header.py) did not change that, since nothing in the corpus asks
for the header: the name after "At" is always the same company's. So each epoch a share
of the train postings have their company renamed, in their frame and in their body alike,
to another company of the train split (drawn uniformly from the distinct names, so rare
ones come as often as common ones). In a renamed posting the company's name can be read
from its header and from nowhere else, and a model that writes its own company's name in
its body is the one that copies it from there.

Only the name travels: a renamed posting keeps its own boilerplate under its new name,
which is what the sampler wants of the model (a body that names its own company), not a
claim that the text is that company's. The val split is never renamed.
"""

from __future__ import annotations

import random

import torch

from dreamjobs.corpus_format import FRAME_ELEMENTS, mention

from ..company_slot import model_text, uses_slot
from ..data import Vocab
from ..errors import DataError


def company_of(doc: str) -> str | None:
    """A posting's company as its text holds it (HTML-escaped, as in the <h2>), or None without a frame."""
    m = FRAME_ELEMENTS.search(doc)
    return m.group(2).strip() if m else None


def renamed(doc: str, company: str, new: str) -> str:
    """The posting with every whole-word mention of its company, the <title> line's and the <h2>'s
    among them, written as `new`."""
    return mention(company).sub(lambda _: new, doc)


def swap_companies(docs: list[str], share: float, seed: int, epoch: int) -> list[str]:
    """An epoch's train postings with `share` of them renamed to another company of theirs; the
    same postings and names for the same seed and epoch (a resumed run reads the same text)."""
    if share <= 0:
        return docs
    companies = [company_of(d) for d in docs]
    names = sorted({c for c in companies if c})
    if len(names) < 2:
        return docs
    rng = random.Random(f"{seed}:{epoch}:companies")
    out = []
    for doc, company in zip(docs, companies):
        pick, other = rng.random(), rng.randrange(len(names) - 1)
        if company is None or pick >= share:
            out.append(doc)
            continue
        new = names[other + (other >= names.index(company))]  # any name but its own
        out.append(renamed(doc, company, new))
    return out


class TrainPostings:
    """A run's train postings as each epoch reads them (with the company slot where its vocabulary
    has one): encoded once, or renamed and encoded again each epoch where a share is to be swapped."""

    def __init__(self, texts: list[str], vocab: Vocab, share: float, seed: int):
        wants = "--swap-companies renames" if share else "--company-slot writes a slot for" if uses_slot(vocab) else None
        if wants and not any(map(company_of, texts)):
            raise DataError(f"{wants} each posting's company, but the corpus's postings have no "
                            "frame (<h1>-<h3>) to read a company from")
        self.texts, self.vocab, self.share, self.seed = texts, vocab, share, seed
        self.encoded = [vocab.encode(d) for d in model_text(texts, vocab)]

    def epoch(self, epoch: int) -> list[torch.Tensor]:
        """The epoch's postings, encoded: a posting left as it is keeps its encoding."""
        swapped = swap_companies(self.texts, self.share, self.seed, epoch)
        return [ids if new is old else self.vocab.encode(model_text([new], self.vocab)[0])
                for old, new, ids in zip(self.texts, swapped, self.encoded)]
