"""Company swap: a share of the train postings renamed to another company, frame and body alike."""

import pytest

from charlm.training.company_swap import company_of, renamed, swap_companies
from dreamjobs.corpus_format import document, frame_fields, title_line

COMPANIES = ["Meta", "Kyndryl", "AT&amp;T", "Capital One", "Esri", "Bluecore"]


def posting(company: str) -> str:
    return document("Data Scientist", company, "Seattle, WA",
                    f"<p>At {company}, we build. {company}'s teams use Metadata.</p>\n<p>Join {company}</p>")


def test_a_renamed_posting_names_its_new_company_wherever_it_named_its_own():
    out = renamed(posting("Meta"), "Meta", "Esri")
    assert frame_fields(out) == ("Data Scientist", "Esri", "Seattle, WA")
    assert " - Esri - " in title_line(out)
    assert "At Esri, we build. Esri's teams use Metadata." in out  # a longer word is not the name
    assert "Meta" not in out.replace("Metadata", "")


def test_a_share_of_the_postings_is_renamed_each_to_another_company_of_the_corpus():
    docs = [posting(COMPANIES[i % len(COMPANIES)]) for i in range(600)]
    out = swap_companies(docs, 0.5, seed=1, epoch=1)
    changed = [(a, b) for a, b in zip(docs, out) if a != b]
    assert 0.4 <= len(changed) / len(docs) <= 0.6
    for before, after in changed:
        old, new = company_of(before), company_of(after)
        assert new in COMPANIES and new != old
        assert after == renamed(before, old, new)
    assert {company_of(b) for _, b in changed} == set(COMPANIES)  # rare names come too


def test_the_same_seed_and_epoch_rename_the_same_postings_and_another_epoch_others():
    docs = [posting(COMPANIES[i % len(COMPANIES)]) for i in range(200)]
    assert swap_companies(docs, 0.5, 7, 3) == swap_companies(docs, 0.5, 7, 3)  # a resumed run reads the same text
    assert swap_companies(docs, 0.5, 7, 3) != swap_companies(docs, 0.5, 7, 4)


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_share_zero_renames_nothing_and_one_every_posting(share):
    docs = [posting(COMPANIES[i % len(COMPANIES)]) for i in range(60)]
    out = swap_companies(docs, share, 1, 1)
    assert sum(a != b for a, b in zip(docs, out)) == (0 if share == 0 else len(docs))


def test_postings_without_a_frame_or_a_corpus_of_one_company_are_left_as_they_are():
    plain = ["just text\n", "more text\n"]
    assert swap_companies(plain, 1.0, 1, 1) == plain
    alone = [posting("Meta")] * 5
    assert swap_companies(alone, 1.0, 1, 1) == alone


def test_an_epochs_postings_are_encoded_as_swapped_keeping_the_encoding_of_those_left_as_they_are():
    from charlm.data import Vocab
    from charlm.training.company_swap import TrainPostings

    docs = [posting(COMPANIES[i % len(COMPANIES)]) for i in range(40)]
    train = TrainPostings(docs, Vocab.from_text("".join(docs)), 0.5, seed=2)
    encoded = train.epoch(3)
    assert [train.vocab.decode(ids) for ids in encoded] == swap_companies(docs, 0.5, 2, 3)
    kept = [i for i, (a, b) in enumerate(zip(docs, swap_companies(docs, 0.5, 2, 3))) if a == b]
    assert kept and all(encoded[i] is train.encoded[i] for i in kept)
