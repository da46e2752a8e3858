from common.corpus_format import split_documents
from conftest import make_corpus


def test_split_documents_cuts_after_each_posting_and_keeps_every_character():
    text = make_corpus(5)
    docs = split_documents(text)
    assert len(docs) == 5
    assert "".join(docs) == text
    assert all(d.startswith("<html>") and d.rstrip().endswith("</html>") for d in docs)


def test_plain_text_is_split_at_blank_lines():
    docs = split_documents("first para\nstill first\n\nsecond\n\n\nthird")
    assert [d.strip() for d in docs] == ["first para\nstill first", "second", "third"]
