import re

from charlm.generate import Generator
from charlm.guard import TagGuard


def closing_mismatches(text: str) -> int:
    """Closing tags that do not close the innermost open tag (an independent little parser)."""
    stack, bad = [], 0
    for closing, name in re.findall(r"<(/?)([a-z][a-z0-9]*)>", text):
        if name == "br":
            continue
        if not closing:
            stack.append(name)
        elif stack and stack[-1] == name:
            stack.pop()
        else:
            bad += 1
    return bad


def test_the_guard_spells_the_innermost_open_tag_after_a_slash():
    g = TagGuard("<html>\n<body>\n<p>Hi <strong>there<br>")
    assert g.forced() is None
    for ch in "</":
        g.feed(ch)
    spelled = ""
    while g.forced() is not None:
        spelled += g.forced()
        g.feed(g.forced())
    assert spelled == "strong>" and g.stack == ["html", "body", "p"]


def test_the_guard_leaves_text_and_opening_tags_alone():
    g = TagGuard()
    for ch in "a < b, <p>x</":
        assert g.forced() is None
        g.feed(ch)
    assert g.forced() == "p"
    empty = TagGuard("</")  # nothing open: the model decides
    assert empty.forced() is None


def test_guarded_sampling_never_closes_the_wrong_tag(tiny_run):
    # The tiny model writes tags but loses track of which one is open; the guard never does.
    gen = Generator.from_checkpoint(tiny_run / "best.pt")
    free = gen.generate(8, temperature=1.0, seed=1, max_length=1500, guard=False)
    guarded = gen.generate(8, temperature=1.0, seed=1, max_length=1500)
    assert sum(map(closing_mismatches, free)) > 0
    assert sum(map(closing_mismatches, guarded)) == 0
    assert gen.sample(seed=3, max_length=300) == gen.sample(seed=3, max_length=300)
