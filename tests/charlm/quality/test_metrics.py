from charlm.quality.metrics import coherent_frame, compression_bpc, has_frame, vocab_share, well_formed, words
from dreamjobs.corpus_format import frame_fields as frame
from conftest import REPEATED_POSTING


def test_a_real_posting_is_well_formed_with_its_frame():
    assert well_formed(REPEATED_POSTING)
    assert frame(REPEATED_POSTING) == ("Data Scientist", "Acme", "Seattle, WA")


def test_broken_tag_sequences_are_not_well_formed():
    ok = "<html>\n<body>\n<p>a<br>b <strong>c</strong></p>\n</body>\n</html>"
    assert well_formed(ok)
    assert not well_formed(ok.replace("</strong></p>", "</p></strong>"))  # closed out of order
    assert not well_formed(ok.replace("</p>", ""))                        # never closed
    assert not well_formed(ok.replace("<p>a", "<p a"))                    # a broken tag
    assert not well_formed(ok.replace("<body>", "<body>\n</hl>"))         # a close with no open
    assert not well_formed(ok[:-7])                                       # does not end with </html>
    assert not well_formed(ok.replace("b <strong>", "b <stro"))           # a tag cut short


def test_the_frame_needs_title_company_and_location_with_text():
    assert has_frame("<h1>Data Scientist</h1>\n<h2>Acme</h2>\n<h3>Seattle, WA</h3>")
    assert not has_frame("<h1>Data Scientist</h1>\n<h2>Acme</h2>\n<p>Seattle</p>")
    assert not has_frame("<h1> </h1>\n<h2>Acme</h2>\n<h3>Seattle</h3>")
    assert frame("<h1>R&amp;D Lead</h1><h2>A</h2><h3>B</h3>") == ("R&D Lead", "A", "B")


def test_a_coherent_frame_repeats_the_title_line_in_its_headings():
    ok = "<head><title>R&amp;D Lead - Acme - Seattle, WA</title></head>\n<body>\n<h1>R&amp;D Lead</h1>\n<h2>Acme</h2>\n<h3>Seattle, WA</h3>"
    assert coherent_frame(ok)
    assert not coherent_frame(ok.replace("<h1>R&amp;D Lead", "<h1>Senior R&amp;D Lead"))
    assert not coherent_frame(ok.replace(" - Acme - ", " - Acme Inc - "))
    assert not coherent_frame(ok.split("<body>")[1])  # no title line


def test_vocab_share_counts_visible_words_only():
    assert words("<p>Build models &amp; ship</p>") == ["build", "models", "ship"]
    assert vocab_share("<p>build modelz</p>", {"build", "models", "p"}) == 0.5
    assert vocab_share("<p></p>", {"x"}) is None


def test_compressors_spend_fewer_bits_on_text_like_what_they_have_seen():
    import random
    rng = random.Random(0)
    train = "".join(f"Posting {i}: build models, write SQL, ship features.\n" for i in range(2000))
    seen = "".join(f"Posting {i}: build models, write SQL, ship features.\n" for i in range(50))
    noise = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(len(seen)))
    familiar, strange = compression_bpc(train, seen), compression_bpc(train, noise)
    assert set(familiar) == {"gzip", "bz2", "lzma"}
    assert all(familiar[k] < 1.0 < strange[k] for k in familiar), (familiar, strange)
