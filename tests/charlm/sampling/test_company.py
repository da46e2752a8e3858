"""The company slot filled in: a slot model's postings name their own company, the one their
frame names, and never show the slot itself; the C kernel's batch and the Python one alike."""

import re

import pytest

from charlm import Generator, SampleSettings
from charlm import checkpoint as ckpt_io
from charlm.company_slot import COMPANY_SLOT
from charlm.errors import SettingsError
from charlm.sampling import native
from dreamjobs.corpus_format import frame

from tests.charlm.sampling.test_python_batch import NO_COMPILER
from tests.conftest import COMPANIES


@pytest.fixture(params=["kernel", "python"])
def backend(request, monkeypatch):
    if request.param == "python":
        monkeypatch.setattr(native, "_failure", NO_COMPILER)
    return request.param


def test_a_slot_model_names_the_company_of_its_own_frame(tiny_slot_run, backend):
    gen = Generator.from_checkpoint(tiny_slot_run / "best.pt")
    named = 0
    for i, company in enumerate(COMPANIES):
        prime = frame("Data Scientist", company, "Seattle, WA") + "<p>"
        text = gen.sample(SampleSettings(prime=prime, max_length=40, seed=i, temperature=0.5))
        assert COMPANY_SLOT not in text
        named += text[len(prime):].startswith(f"{company} is ")
    assert named >= len(COMPANIES) - 1  # every training body opens "COMPANY is hiring"


def test_the_slot_waits_for_the_company_and_is_written_as_it(tiny_slot_run, backend):
    """A model that wants nothing but the slot: it cannot write it before its <h2> closes, and
    after it every slot reads as the <h2>'s company."""
    model, vocab, _ = ckpt_io.load_model(tiny_slot_run / "best.pt")
    model.head.bias.data[vocab.index[COMPANY_SLOT]] = 50.0
    gen = Generator(model, vocab)
    s = SampleSettings(max_length=300, seed=1, company="Hooli Labs", guard=True)
    text = gen.sample(s)
    assert len(text) <= len(s.prime) + s.max_length  # the cap counts the names written in full
    head, body = text.split("</h3>\n", 1)
    assert COMPANY_SLOT not in text and "<h2>Hooli Labs</h2>" in head
    names = re.match(r"(?:Hooli Labs)*", body).end()  # then, where a name no longer fits, other characters
    assert names >= 100 and len(body) - names <= len("Hooli Labs")


@pytest.mark.parametrize("given", [{"prime": COMPANY_SLOT}, {"prime": "<html>" + COMPANY_SLOT},
                                   {"company": "Acme" + COMPANY_SLOT}])
def test_the_slot_given_as_text_is_refused_with_a_message(tiny_slot_run, given):
    gen = Generator.from_checkpoint(tiny_slot_run / "best.pt")
    with pytest.raises(SettingsError, match="U\\+E000, the character a model writes for its own company"):
        gen.sample(SampleSettings(max_length=20, seed=1, **given))
