"""The corpus format: the one specification of what a posting in corpus/input.txt is.

The scraper writes it (simplify.py), the language model learns and samples it (charlm),
and the gallery shows it (webapp). Every constant of the format is defined here and
nowhere else; this module imports nothing outside the standard library, so any package
may import it without pulling in the others.

A posting is one HTML document, exactly this frame and then its body:

    <html>
    <head><title>TITLE - COMPANY - LOCATION</title></head>
    <body>
    <h1>TITLE</h1>
    <h2>COMPANY</h2>
    <h3>LOCATION</h3>
    ...body: one block a line...
    </body>
    </html>

- The three fields are one line each, HTML-escaped (`&amp; &lt; &gt;`, quotes kept),
  and the <title> line joins them with " - " (a field may itself hold " - ").
  LOCATION lists several places with "; ".
- The body holds only BODY_TAGS, with no attributes: blocks <p>, <h4>, and <ul>/<ol>
  with one <li> a line; inline <strong>, <em> and <br>. Headings of a description
  become <h4>, so <h1>-<h3> only ever hold the frame.
- Text is NFKC-normalized with one kind of quote and dash, and holds no control,
  invisible or pictographic characters.
- Postings follow each other in input.txt, each ending with DOC_END and a newline.
"""

from __future__ import annotations

import html
import re

DOC_START = "<html>"
DOC_END = "</html>"
HEAD = DOC_START + "\n<head><title>"  # what every posting begins with, up to its title line
SEP = " - "  # between the fields of the title line
TITLE_END = "</title></head>\n<body>\n"  # from the end of the title line to the body's first element
LEAD = DOC_END + "\n"  # what every posting but a corpus's first follows
HEADER_END = "</title>"  # a posting's header: its title line's fields, HEAD to here (what a transformer keeps in view)
FIELDS = ("title", "company", "location")  # the frame's fields, in order
OLD_FIELD_NAMES = {"city": "location"}  # what requests, links and saved rows called a field before 2026-12
FRAME_TAGS = ("h1", "h2", "h3")  # the elements that hold them in the body
BODY_TAGS = ("h4", "p", "ul", "ol", "li", "strong", "em", "br")
TAGS = frozenset(FRAME_TAGS + BODY_TAGS)  # every element a posting's body may hold
INLINE_TAGS = ("strong", "em", "br")
# Which elements the corpus opens inside which ("" is the top level): every posting of
# input.txt keeps to it, and the sampler's tag guard holds generated postings to it, so a
# model cannot open an element no posting has ("<positions>") or a second <body>.
CHILDREN = {
    "": ("html",), "html": ("head", "body"), "head": ("title",), "title": (),
    "body": FRAME_TAGS + ("h4", "p", "ul", "ol"), **{t: () for t in FRAME_TAGS},
    "ul": ("li",), "ol": ("li",), **{t: INLINE_TAGS for t in ("h4", "p", "li", "strong", "em")},
}
# HTML's elements that have no closing tag; <br> is the corpus's own, the others appear
# in generated text and must not be waited on for a close.
VOID_TAGS = frozenset({"br", "hr", "img", "meta", "link", "input"})

TAG = re.compile(r"<[^>]*>")
SPACE = re.compile(r"\s+")
WORD = re.compile(r"[a-z]+")  # a word: a run of ASCII letters, lower-cased (the sampler's known-words guard agrees)

TITLE_LINE = re.compile(r"<title>([^<\n]*)</title>")
FRAME_ELEMENTS = re.compile(r"<h1>([^<]*\S[^<]*)</h1>\s*<h2>([^<]*\S[^<]*)</h2>\s*<h3>([^<]*\S[^<]*)</h3>")

def field_text(value: str) -> str:
    """A field as the frame holds it: one line, HTML-escaped."""
    return html.escape(re.sub(r"\s+", " ", value).strip(), quote=False)


def frame(title: str, company: str, location: str) -> str:
    """A posting's opening through </h3>, from fields already in field_text form."""
    return (f"{HEAD}{title}{SEP}{company}{SEP}{location}{TITLE_END}"
            f"<h1>{title}</h1>\n<h2>{company}</h2>\n<h3>{location}</h3>\n")


def document(title: str, company: str, location: str, body: str) -> str:
    """A whole posting as input.txt holds it, from escaped fields and a body of BODY_TAGS."""
    return f"{frame(title, company, location)}{body}\n</body>\n{DOC_END}\n"


def visible_text(posting: str) -> str:
    """A posting's text as a reader sees it: tags out, entities decoded, whitespace collapsed."""
    return SPACE.sub(" ", html.unescape(TAG.sub(" ", posting))).strip()


def mention(name: str) -> re.Pattern:
    """A whole-word mention of a name, one that may itself end in a non-letter ("Gap Inc.")."""
    return re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)")


def words(posting: str) -> list[str]:
    """The lower-case words of a posting's visible text."""
    return WORD.findall(visible_text(posting).lower())


def title_line(text: str) -> str | None:
    """What a posting's <title> holds (escaped), or None."""
    m = TITLE_LINE.search(text)
    return m.group(1) if m else None


def frame_fields(text: str) -> tuple[str, str, str] | None:
    """(title, company, location) of a posting, unescaped, from its h1, h2 and h3; None without them."""
    m = FRAME_ELEMENTS.search(text)
    return tuple(html.unescape(g).strip() for g in m.groups()) if m else None


def posting_fields(text: str) -> tuple[str | None, str | None, str | None]:
    """(title, company, location) of a posting, unescaped, read from whatever it has: its h1-h3,
    else each of them that closed, else its <title> line (a posting cut off mid-frame). None for a
    field it never wrote."""
    found = frame_fields(text)
    if found is not None:
        return found
    one = [re.search(rf"<{tag}>([^<]*\S[^<]*)</{tag}>", text) for tag in ("h1", "h2", "h3")]
    fields = [html.unescape(m.group(1)).strip() if m else None for m in one]
    line = title_line(text)
    if line is not None:
        parts = [html.unescape(p).strip() for p in line.split(SEP)]
        from_line = (parts[0], SEP.join(parts[1:-1]), parts[-1]) if len(parts) >= 3 else (parts + [None, None])[:3]
        fields = [f or (g or None) for f, g in zip(fields, from_line)]
    return tuple(fields)


def split_documents(text: str) -> list[str]:
    """Cut a corpus into postings, each ending with </html> plus its trailing newlines.

    A text with no </html> at all (any plain-text corpus) is cut at blank lines instead,
    so a paragraph plays the part of a posting. Pieces that are only whitespace are dropped.
    """
    if DOC_END in text:
        bounds = [m.end() for m in re.finditer(re.escape(DOC_END) + r"(?:\r?\n)*", text)]
        docs, start = [], 0
        for end in bounds:
            docs.append(text[start:end])
            start = end
        if start < len(text):
            docs.append(text[start:])
    else:
        docs = [m.group(0) for m in re.finditer(r"[\s\S]*?(?:\n\s*\n|$)", text) if m.group(0)]
    return [d for d in docs if d.strip()]
