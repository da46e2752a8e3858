"""The sanitizer against XSS vectors: nothing executable may survive."""

import re

import pytest

from webapp.sanitize import FRAME_CSP, clean, frame_page

VECTORS = [
    "<script>window.pwned=1</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=\"window.pwned=1\">",
    "<body onload=window.pwned=1>",
    "<p onclick='window.pwned=1' onmouseover=\"x()\">click</p>",
    "<a href=\"javascript:window.pwned=1\">link</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>parent.pwned=1</script>\"></iframe>",
    "<svg onload=alert(1)><script>alert(2)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<p style=\"width: expression(alert(1))\">styled</p>",
    "<div style=\"background:url(javascript:alert(1))\">bg</div>",
    "<style>@import 'javascript:alert(1)';</style>",
    "<object data=\"javascript:alert(1)\"></object><embed src=x.swf>",
    "<form action=javascript:alert(1)><input type=submit></form>",
    "<base href=\"javascript:alert(1)//\">",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=\"x\" onerror=\"alert(1)\"",
    "<<script>alert(1)//<</script>",
    "<p><strong>bold <em>nested</p></strong> <h1 onclick=x>t</h1>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<template><script>alert(1)</script></template>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<details open ontoggle=alert(1)>",
]

EXECUTABLE = re.compile(r"<\s*(script|iframe|svg|math|object|embed|meta|link|base|style|form|img|video|source|"
                        r"details|body|a|div|template|noscript)\b|\bon[a-z]+\s*=|javascript:|data:|expression\(|"
                        r"\bsrc\s*=|\bhref\s*=|\bstyle\s*=", re.I)


@pytest.mark.parametrize("vector", VECTORS)
def test_nothing_executable_survives(vector):
    out = clean("<html><body><h1>Data Scientist</h1>" + vector + "<p>after</p></body></html>")
    assert not EXECUTABLE.search(out), out
    assert out.startswith("<h1>Data Scientist</h1>")  # the posting before the payload is kept


def test_the_corpus_tags_survive_without_attributes():
    posting = ("<html>\n<head><title>T - C - L</title></head>\n<body>\n<h1>T</h1>\n<h2>C</h2>\n<h3>L</h3>\n"
               "<p>We <strong>build</strong> <em>things</em>.<br>Really.</p>\n<h4>Perks</h4>\n"
               "<ul>\n<li>Tea &amp; cake</li>\n</ul>\n<ol><li>one</li></ol>\n</body>\n</html>\n")
    out = clean(posting)
    for tag in ["<h1>T</h1>", "<h2>C</h2>", "<h3>L</h3>", "<strong>build</strong>", "<em>things</em>", "<br>",
                "<h4>Perks</h4>", "<li>Tea &amp; cake</li>", "<ol><li>one</li></ol>"]:
        assert tag in out
    assert "<title>" not in out and "T - C - L" not in out


def test_the_frame_document_is_locked_down():
    page = frame_page("<h1>x</h1><script>alert(1)</script>", title="</title><script>alert(1)</script>")
    assert "<script" not in page
    assert "default-src 'none'" in FRAME_CSP and "sandbox" in FRAME_CSP


def test_a_cleaned_posting_starts_with_its_first_element_not_the_blank_lines_of_its_head():
    # Issue 39 #12: the API's html began with three newlines.
    from dreamjobs.corpus_format import document

    cleaned = clean(document("Data Scientist", "Acme", "Seattle, WA", "<p>Build models.</p>"))
    assert cleaned.startswith("<h1>Data Scientist</h1>") and cleaned.endswith("<p>Build models.</p>")
