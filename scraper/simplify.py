"""Strip a posting down to the corpus format (dreamjobs/corpus_format.py): a few whitelisted tags, no attributes.

Headings inside a description become <h4>, so h1-h3 only ever hold the frame. Links,
images, scripts, styles and every attribute are dropped; their text is kept when it
is visible text. Text is normalized (NFKC, one kind of quote and dash, no control or
symbol characters such as emoji) and HTML-escaped.
"""

from __future__ import annotations

import html
import re
import unicodedata

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from dreamjobs import corpus_format

DROP = {"script", "style", "noscript", "iframe", "svg", "math", "img", "picture", "video", "audio",
        "canvas", "object", "embed", "template", "button", "input", "select", "textarea", "option",
        "head", "title", "meta", "link", "form"}
INLINE = {"strong": "strong", "b": "strong", "em": "em", "i": "em"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
LISTS = {"ul", "ol"}
BLOCKS = {"p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "blockquote",
          "pre", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "dl", "dt", "dd",
          "figure", "figcaption", "address", "center", "fieldset", "hr", "body", "html", "li"} | HEADINGS | LISTS

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
                         "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
                         "\u2015": "-", "\u2212": "-"})
# Format (Cf) covers zero-width spaces and soft hyphens; So covers emoji and dingbats.
_DROP_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Cs", "So"}


def normalize_text(text: str) -> str:
    """One Unicode form, one kind of quote and dash, no invisible or pictographic characters."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in _DROP_CATEGORIES)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


class _Blocks:
    """Collects ("p"|"h4", inline html) and ("ul"|"ol", [inline html]) blocks in reading order."""

    def __init__(self, skip: set[str] = frozenset()):
        self.blocks: list[tuple[str, object]] = []
        self.inline: list[str] = []
        self.skip = skip

    def text(self, s: str) -> None:
        self.inline.append(_esc(re.sub(r"\s+", " ", normalize_text(s))))

    def flush(self, kind: str = "p") -> None:
        raw = "".join(self.inline)
        self.inline = []
        # Two or more line breaks in a row separate paragraphs; a single one stays a <br>.
        for part in re.split(r"(?:\s*\x00\s*){2,}", raw):
            part = _tidy_inline(part.replace("\x00", "<br>"))
            if part:
                self.blocks.append((kind, part))

    def walk(self, node) -> None:
        for child in node.children:
            self.visit(child)

    def visit(self, child) -> None:
        if isinstance(child, Comment):
            return
        if isinstance(child, NavigableString):
            self.text(str(child))
            return
        if isinstance(child, Tag):
            name = child.name.lower()
            if name in DROP or name in self.skip:
                return
            if name == "br":
                self.inline.append("\x00")
            elif name in LISTS:
                self.flush()
                items = _list_items(child)
                if items:
                    self.blocks.append((name, items))
            elif name in HEADINGS:
                self.flush()
                self.walk(child)
                self.flush("h4")
            elif name in BLOCKS:
                self.flush()
                self.walk(child)
                self.flush()
            elif name in INLINE and not child.find(BLOCKS):
                inner = _Blocks()
                inner.walk(child)
                content = "".join(inner.inline)
                core = content.strip(" \x00")
                if not core or re.search(r"\x00\s*\x00", core):
                    # Empty, or spanning a paragraph break: keep the text, drop the emphasis,
                    # since a tag cannot be split across two paragraphs.
                    self.inline.append(content)
                else:
                    # Breaks and spaces at the edges go outside the tag.
                    lead = content[: len(content) - len(content.lstrip(" \x00"))]
                    trail = content[len(content.rstrip(" \x00")):]
                    self.inline.append(f"{lead}<{INLINE[name]}>{core}</{INLINE[name]}>{trail}")
            else:  # a, span, font, u, and anything unknown: keep the text, drop the tag
                self.walk(child)


def _tidy_inline(s: str) -> str:
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r"(<br>\s*)+$", "", re.sub(r"^(\s*<br>)+", "", s.strip())).strip()
    s = re.sub(r"\s*<br>\s*", "<br>", s)
    # Merge </strong> <strong> runs that the source split, and drop emptied tags.
    s = re.sub(r"</(strong|em)>(\s*)<\1>", r"\2", s)
    s = re.sub(r"<(strong|em)>\s*</\1>", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def _list_items(lst: Tag) -> list[str]:
    """A list's items as inline html, in reading order.

    Nested lists are flattened into it after their parent item; text or inline tags
    sitting straight in the list, outside any <li> (real postings have them), become
    items of their own.
    """
    items: list[str] = []
    loose = _Blocks()

    def flush_loose():
        loose.flush()
        items.extend(content for _, content in loose.blocks)
        loose.blocks = []

    for child in lst.children:
        name = child.name.lower() if isinstance(child, Tag) else None
        if name == "li":
            flush_loose()
            b = _Blocks(skip=LISTS)
            b.walk(child)
            b.flush()
            text = " ".join(content for _, content in b.blocks)
            if text:
                items.append(text)
            for nested in child.find_all(LISTS):
                if nested.find_parent("li") is child:  # deeper lists come with their own parent
                    items.extend(_list_items(nested))
        elif name in LISTS:
            flush_loose()
            items.extend(_list_items(child))
        else:
            loose.visit(child)
    flush_loose()
    return items


def html_to_blocks(fragment: str) -> list[tuple[str, object]]:
    soup = BeautifulSoup(fragment or "", "lxml")
    b = _Blocks()
    b.walk(soup)
    b.flush()
    return b.blocks


def text_to_html(text: str) -> str:
    """A plain-text description (CSV exports) as paragraphs, headings and lists.

    Bulleted lines become list items; a short line ending with ':' (or a short line
    without closing punctuation right before other lines) becomes a heading; a run of
    two or more short lines under a heading becomes a list; other lines are paragraphs.
    """
    bullet = re.compile(r"^\s*(?:[\u2022\u00b7\u25aa\u25cf\u25e6\u2023\u2043*\-\u2013\u2014o]|\d{1,2}[.)])\s+")
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    run: list[str] = []
    items: list[str] = []

    def close_items():
        if items:
            out.append("<ul>" + "".join(f"<li>{_esc(i)}</li>" for i in items) + "</ul>")
            items.clear()

    def close_run(under_heading: bool):
        if not run:
            return
        if under_heading and len(run) >= 2 and max(map(len, run)) <= 300:
            out.append("<ul>" + "".join(f"<li>{_esc(r)}</li>" for r in run) + "</ul>")
        else:
            out.extend(f"<p>{_esc(r)}</p>" for r in run)
        run.clear()

    under_heading = False
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if not line:
            close_items()
            close_run(under_heading)
            continue
        m = bullet.match(line)
        if m and len(line) > m.end():
            close_run(under_heading)
            items.append(line[m.end():])
            continue
        close_items()
        prev = lines[i - 1] if i else ""
        # A short unpunctuated line is a heading only where a new section can start:
        # after a blank line or a finished sentence, and with text following it.
        is_heading = len(line) <= 100 and (
            line.endswith(":") or (len(line) <= 60 and nxt and not re.search(r"[.!?,;]$", line)
                                   and len(line.split()) <= 7 and (not prev or prev.endswith((".", "!", "?")))))
        if is_heading:
            close_run(under_heading)
            out.append(f"<h4>{_esc(line)}</h4>")
            under_heading = True
        else:
            run.append(line)
    close_items()
    close_run(under_heading)
    return "\n".join(out)


def render_blocks(blocks: list[tuple[str, object]]) -> str:
    lines = []
    for kind, content in blocks:
        if kind in LISTS:
            lines.append(f"<{kind}>")
            lines.extend(f"<li>{item}</li>" for item in content)
            lines.append(f"</{kind}>")
        else:
            lines.append(f"<{kind}>{content}</{kind}>")
    return "\n".join(lines)


def one_line(text: str) -> str:
    return corpus_format.field_text(normalize_text(html.unescape(text or "")))


def build_document(title: str, company: str, location: str, description_html: str) -> tuple[str, str]:
    """The posting in the corpus frame, and its body alone (what duplicates are recognised by)."""
    body = render_blocks(html_to_blocks(description_html))
    return corpus_format.document(one_line(title), one_line(company), one_line(location), body), body


def latin_share(text: str) -> float:
    """The share of letters that are Latin script: the corpus teaches one alphabet, not a few glyphs of many."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 1.0
    return sum(1 for c in letters if unicodedata.name(c, "").startswith("LATIN")) / len(letters)


def visible_text(fragment: str) -> str:
    """The text a reader of the page sees, for checking that stripping kept every word.

    Block boundaries and <br> separate words; inline tags do not ("<b>J</b>ava" is "Java").
    """
    soup = BeautifulSoup(fragment or "", "lxml")
    for tag in soup.find_all(DROP):
        tag.decompose()
    for tag in soup.find_all(BLOCKS | {"br"}):
        tag.insert_before(" ")
        tag.insert_after(" ")
    return soup.get_text("")
