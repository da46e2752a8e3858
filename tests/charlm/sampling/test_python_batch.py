"""Without the C kernel (no C compiler): the sampler falls back to the model's own step and a
draw in Python, says so, and still writes postings that parse (issue 37 #1)."""

import pytest

from charlm import Generator, SampleSettings
from charlm.quality.metrics import TAG
from charlm.sampling import native
from charlm.sampling.python_batch import PythonBatch
from dreamjobs.corpus_format import VOID_TAGS

NO_COMPILER = native.NativeUnavailable("could not build charlm's sampling kernel:\ncc: command not found")


@pytest.fixture
def no_kernel(monkeypatch):
    monkeypatch.setattr(native, "_failure", NO_COMPILER)


@pytest.mark.parametrize("run", ["tiny_run", "tiny_transformer_run"])
def test_without_the_kernel_the_sampler_falls_back_to_python_and_says_so(run, no_kernel, request):
    gen = Generator.from_checkpoint(request.getfixturevalue(run) / "best.pt")
    assert gen.backend == "torch" and isinstance(gen.batch(1), PythonBatch)
    assert any(note.startswith("the C kernel is unavailable (could not build charlm's sampling kernel)")
               for note in gen.guards_off())
    s = SampleSettings(max_length=500, seed=3, title="Data Scientist")
    text = gen.sample(s)
    assert text.startswith("<html>\n<head><title>Data Scientist - ") and len(text) <= len(s.prime) + 500
    assert gen.sample(s) == text  # a seed writes its posting again
    ended = [t for t in gen.generate(4, SampleSettings(max_length=3000, seed=10)) if t.endswith("</html>")]
    assert ended and all(tags_close_in_order(t) for t in ended)  # the tag guard holds in Python too


def tags_close_in_order(text: str) -> bool:
    """Every closing tag closes the innermost open one (the tag guard's rule; the kernel adds more)."""
    stack = []
    for closing, name, _ in TAG.findall(text):
        if name.lower() in VOID_TAGS:
            continue
        if not closing:
            stack.append(name.lower())
        elif not stack or stack.pop() != name.lower():
            return False
    return True


def test_asking_for_the_kernel_where_it_cannot_be_built_is_one_clear_error(tiny_run, no_kernel):
    with pytest.raises(native.NativeUnavailable, match="could not build charlm's sampling kernel"):
        Generator.from_checkpoint(tiny_run / "best.pt", backend="native")
