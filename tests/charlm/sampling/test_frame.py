"""The frame writer: the title line and h1/h2/h3 agree, and requested fields land exactly."""

import pytest

from charlm.errors import SettingsError, VocabError
from charlm.sampling.frame import FIELD_LIMITS, OVERRUN, FrameWriter
from charlm.quality.metrics import coherent_frame
from dreamjobs.corpus_format import frame as frame_text
from dreamjobs.corpus_format import frame_fields as frame


def write(writer: FrameWriter, model: str) -> str:
    """Let a stand-in model propose `model` character by character; where the frame rules
    a character out, take the first it allows, as masked sampling would."""
    out, i = [], 0
    while writer.want is not None:
        want = writer.want
        proposal = model[i] if i < len(model) else "x"
        if want.allows(proposal):
            ch = proposal
        else:
            ch = want.only[0] if want.only is not None else next(c for c in "xyz" if want.allows(c))
        out.append(ch)
        writer.feed(ch)
        i += 1
    return "".join(out)


def test_a_model_that_keeps_its_frame_writes_exactly_the_corpus_frame():
    text = frame_text("Software Engineer - Backend", "Acme", "Seattle, WA")
    assert write(FrameWriter(), text) == text


def test_headings_that_drift_from_the_title_are_held_to_it():
    drifting = ("<html>\n<head><title>Data Scientist - NS8 - San Francisco, CA</title></head>\n<body>\n"
                "<h1>Senior Data Scientist, Hospital</h1>\n<h2>Globex</h2>\n<h3>Boston</h3>\n")
    written = write(FrameWriter(), drifting)
    assert frame(written) == ("Data Scientist", "NS8", "San Francisco, CA") and coherent_frame(written)


def test_the_model_chooses_which_separator_ends_the_title():
    # "A - B - C - D": the model closes h1 after "A - B", so the title keeps its dash.
    model = frame_text("Engineer - Backend", "Acme", "Remote")
    assert frame(write(FrameWriter(), model)) == ("Engineer - Backend", "Acme", "Remote")
    model = frame_text("Engineer", "Backend - Acme", "Remote")
    assert frame(write(FrameWriter(), model)) == ("Engineer", "Backend - Acme", "Remote")


@pytest.mark.parametrize("fields", [{"title": "Data Scientist"}, {"location": "Seattle, WA"},
                                    {"title": "R&D Lead", "location": "Zürich"},
                                    {"title": "Data Scientist", "company": "Dream Jobs", "location": "Seattle, WA"}])
def test_requested_fields_are_written_exactly_and_the_model_fills_the_rest(fields):
    model = frame_text("Barista", "Cafe Uno", "Paris")
    written = write(FrameWriter(**fields), model)
    got = dict(zip(("title", "company", "location"), frame(written)))
    assert coherent_frame(written)
    for name, value in fields.items():
        assert got[name] == value
    assert all(got.values())


def test_a_title_that_turns_into_prose_is_cut_into_fields_and_a_location_list_ends():
    prose = "<html>\n<head><title>" + "we are looking for people who love data " * 30
    assert coherent_frame(write(FrameWriter(), prose))
    places = "<html>\n<head><title>Analyst - Acme - " + "San Jose, CA; " * 200
    written = write(FrameWriter(), places)
    assert coherent_frame(written) and len(written) < 2000


def test_a_prime_that_leaves_the_frame_hands_it_to_the_model():
    writer = FrameWriter()
    for ch in "<html>\n<body>":
        writer.feed(ch)
    assert writer.want is None and not writer.followed


def test_the_demo_model_writes_coherent_frames(demo):
    openings = demo.generate(24, temperature=0.8, seed=100, max_length=3000, stop="</h3>")
    assert all(map(coherent_frame, openings)), [o[:300] for o in openings if not coherent_frame(o)]


def test_a_dream_job_on_request_carries_title_and_location_exactly(demo):
    # Several seeds, and nothing asked of where each one's text goes after the frame: which
    # postings end within the length is the model's business, not the frame's.
    texts = demo.generate(4, temperature=0.8, seed=7, max_length=3000, title="Dream Data Scientist",
                          location="Seattle, WA")
    for text in texts:
        title, company, location = frame(text)
        assert (title, location) == ("Dream Data Scientist", "Seattle, WA") and company and coherent_frame(text)
        assert text.endswith("</html>") or len(text) == len("<html>") + 3000


def test_fields_the_vocabulary_cannot_spell_are_named_in_the_error(demo):
    with pytest.raises(VocabError, match="title.*'☃'"):
        demo.sample(title="Snow ☃ Engineer", max_length=10)
    with pytest.raises(SettingsError, match="location"):
        demo.sample(location="   ", max_length=10)
    with pytest.raises(SettingsError, match="prime"):
        demo.sample(title="Data Scientist", prime="<html>\n<body>", max_length=10)


@pytest.mark.parametrize("field", range(3))
def test_a_field_that_runs_past_the_corpus_longest_ends_with_its_word(field):
    prose = "we are looking for people who love data and more "
    fields = ["Analyst", "Acme", "Seattle, WA"]
    fields[field] = prose * 4
    written = frame(write(FrameWriter(), frame_text(*fields)))
    assert written is not None
    assert FIELD_LIMITS[field] <= len(written[field]) <= FIELD_LIMITS[field] + 2 * OVERRUN  # a word may finish
    assert (prose * 4).startswith(written[field].split("x")[0])  # "x": the stand-in's word where a space may not be
    assert written[:field] == tuple(fields[:field])


def test_each_place_of_a_location_list_has_its_own_limit():
    places = "San Francisco, CA; New York, NY; Seattle, WA"
    assert frame(write(FrameWriter(), frame_text("Analyst", "Acme", places)))[2] == places


def coins(writer: FrameWriter, model: str) -> tuple[str, str]:
    """(what was written, the characters written while the writer let the model coin words)."""
    out, coined = [], []
    for ch in model:
        if writer.want is None:
            break
        coined.append(ch if writer.want.coin else "")
        out.append(ch if writer.want.allows(ch) else "x")
        writer.feed(out[-1])
    return "".join(out), "".join(coined)


def test_only_a_model_written_company_may_coin_words_and_its_line_then_takes_no_extra_separator():
    known = frozenset({"data", "scientist", "acme", "seattle", "wa", "remote"})
    line = "<html>\n<head><title>Data Scientist - Zentriq - Seattle - Remote</title></head>"
    written, coined = coins(FrameWriter(known=known), line)
    assert coined == "Zentriq - "  # its separator too, written before the field is known to end
    assert "Seattle - Remote" not in written and "Seattle x Remote" in written  # so that the h2 is Zentriq
    written, coined = coins(FrameWriter(known=known), line.replace("Zentriq", "Acme"))
    assert coined == "Acme - " and "Seattle - Remote" in written  # a known company: the line may go on
    assert coins(FrameWriter(), line)[1] == ""  # the known-words guard off: nothing to coin
    assert coins(FrameWriter(company="Zentriq", known=known), line)[1] == ""  # a company asked for


def test_a_model_written_company_holds_no_quote_or_bracket_a_body_would_leave_open():
    written = write(FrameWriter(), '<html>\n<head><title>Analyst (Remote) - Lub" (Data - Austin, TX</title></head>')
    assert frame(written) == ("Analyst (Remote)", "Lubx xData", "Austin, TX")
