"""The realism measure: about 0.5 for real against real, about 1.0 for real against gibberish."""

import random

import pytest

from charlm.quality.copies import CopyShare
from charlm.quality.realism import discriminate, realism, share_gaps, tells, visible_text
from conftest import make_corpus
from dreamjobs.corpus_format import split_documents


def postings(n: int, seed: int) -> list[str]:
    return split_documents(make_corpus(n, seed=seed))


def shuffled(text: str, rng: random.Random) -> str:
    chars = list(visible_text(text))
    rng.shuffle(chars)
    return "".join(chars)


def test_real_postings_cannot_be_told_from_real_postings_by_any_of_the_three():
    found = realism(postings(60, seed=1), postings(60, seed=2), postings(120, seed=3))
    for side in ("generated", "control"):
        for kind, d in found[side].items():
            assert 0.25 <= d.accuracy <= 0.75, (side, kind, d)
    assert found["generated"]["word"].n == 60


def test_each_discriminator_tells_what_it_reads():
    rng = random.Random(0)
    real = postings(60, seed=1)
    # Words out of order: the characters and lengths stay, the word pairs go.
    jumbled = []
    for t in postings(60, seed=2):
        ws = visible_text(t).split()
        rng.shuffle(ws)
        jumbled.append(" ".join(ws))
    assert discriminate(jumbled, real, "word").accuracy >= 0.9
    # Postings three times as long, of the same words: only their form gives them away.
    assert discriminate([t * 3 for t in postings(60, seed=2)], real, "doc").accuracy >= 0.9


def test_the_tells_name_what_generated_postings_overuse():
    real = postings(60, seed=1)
    generated = [t.replace("</ul>", "<p>Synergy synergy synergy.</p></ul>") for t in postings(60, seed=2)]
    found = tells(generated, real)
    assert len(found) == 10
    assert any("synergy" in f["feature"] and f["weight"] > 0 and f["generated"] == 1.0 for f in found), found


def test_the_gaps_name_what_generated_postings_leave_out_and_overuse():
    real = [t.replace("</ul>", "<p>5 years of experience.</p></ul>") for t in postings(60, seed=1)]
    generated = [t.replace("</ul>", "<p>Synergy.</p></ul>") if i % 2 else t for i, t in enumerate(postings(60, seed=2))]
    gaps = {g["feature"]: (g["generated"], g["real"]) for g in share_gaps(generated, real)}
    assert gaps["years of"] == (0.0, 1.0) and gaps["synergy"] == (0.5, 0.0)
    assert len(gaps) == 10 and gaps[next(iter(gaps))] == (0.0, 1.0)  # the widest first


def test_the_copy_share_counts_the_characters_inside_a_long_verbatim_stretch():
    corpus = "".join(postings(40, seed=1))
    share = CopyShare(corpus, q=64)
    stitched = corpus[100:400]
    assert share(stitched) == 1.0
    assert share("x" * 300) == 0.0
    half = "q" * 300 + stitched
    assert abs(share(half) - 0.5) < 1e-9


def test_postings_of_shuffled_characters_are_always_told_apart():
    rng = random.Random(0)
    real = postings(60, seed=1)
    d = discriminate([shuffled(t, rng) for t in postings(60, seed=2)], real)
    assert d.accuracy >= 0.95 and d.auc >= 0.95


def test_tags_are_stripped_so_markup_alone_tells_nothing():
    assert visible_text("<html>\n<h1>Data &amp; AI</h1>\n<p>Build   models</p></html>") == "Data & AI Build models"


def test_too_few_postings_for_the_folds_is_refused():
    with pytest.raises(ValueError, match="at least 5 postings"):
        discriminate(postings(3, seed=1), postings(3, seed=2))


def test_bleed_finds_another_company_named_in_a_body_and_where():
    from charlm.quality.bleed import bleed, first_foreign_mention
    from dreamjobs.corpus_format import document

    own = document("Engineer", "Acme", "Seattle", "<p>Acme builds rockets. Join Acme.</p>")
    near = document("Engineer", "Acme", "Seattle", "<p>At Globex, we build.</p>")
    far = document("Engineer", "Acme", "Seattle", "<p>" + "We build. " * 40 + "Globex is an equal employer.</p>")
    inside = document("Engineer", "Globex Labs", "Seattle", "<p>Globex Labs builds.</p>")
    companies = ["Acme", "Globex"]
    assert first_foreign_mention(own, companies) is None and first_foreign_mention(inside, companies) is None
    assert first_foreign_mention(near, companies) == len("\n<p>At ")
    assert bleed([own, near, far, inside], companies) == {"bleed": 0.5, "near": 0.25, "far": 0.25, "own": 0.5}
    entity = document("Engineer", "AT&T", "Dallas", "<p>Join AT&amp;T.</p>")  # the body's text, not its markup
    assert bleed([entity], companies)["own"] == 1.0


def test_the_known_words_of_the_control_come_from_train_postings_it_does_not_use():
    # Known words taken from all of train made every control posting 100% known: the document
    # features then told train from val at 0.83 on the demo's corpus, with no generated posting in sight.
    from charlm.quality.realism import held_out_vocabulary

    train = ["<p>alpha beta</p>", "<p>gamma delta</p>", "<p>epsilon</p>"]
    assert held_out_vocabulary(train, [train[1]]) == {"alpha", "beta", "epsilon"}
