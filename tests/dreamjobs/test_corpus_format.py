from dreamjobs.corpus_format import document, split_documents
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


def test_a_cut_off_posting_still_gives_the_fields_it_wrote():
    # Issue 39 #4: a short posting was "Untitled dream job" at "unknown company" though its title existed.
    from dreamjobs.corpus_format import posting_fields

    whole = document("Data Scientist", "Acme &amp; Co", "Seattle, WA", "<p>Hi.</p>")
    assert posting_fields(whole) == ("Data Scientist", "Acme & Co", "Seattle, WA")
    cut = whole[:whole.index("<h2>") + 6]  # the title line and h1 written, h2 cut mid-name
    assert posting_fields(cut) == ("Data Scientist", "Acme & Co", "Seattle, WA")
    assert posting_fields("<html>\n<head><title>Data Scientist - Ac") == (None, None, None)
    assert posting_fields("<html>\n<head><title>Data Scientist</title></head>\n<body>\n<h1>Data") == \
        ("Data Scientist", None, None)
