"""Quality measures of generated postings, each a plain function with a handmade test
(the longest copy of the corpus is measured in copies.py).

- well_formed: every tag closed in order and the text ends with </html>
- has_frame: the title, company and location elements (<h1>, <h2>, <h3>) hold text, in order
- coherent_frame: the <title> line repeats them exactly, as in every corpus posting
- vocab_share: the share of a text's words found in a vocabulary of words
- compression_bpc: bits per character of a standard compressor on val given train
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import re

from dreamjobs.corpus_format import DOC_END, FRAME_ELEMENTS, SEP, VOID_TAGS, frame_fields, title_line, words

TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\s*(/?)>")


def well_formed(text: str) -> bool:
    """Tags (the corpus has no attributes) nest and close in order, nothing else looks like a tag,
    and the posting ends with </html>."""
    if not text.rstrip().endswith(DOC_END):
        return False
    stack: list[str] = []
    pos = 0
    for m in TAG.finditer(text):
        if "<" in text[pos:m.start()] or ">" in text[pos:m.start()]:
            return False  # a broken tag such as "<h1" or "p>" between two real ones
        pos = m.end()
        closing, name, self_closing = m.group(1), m.group(2).lower(), m.group(3)
        if name in VOID_TAGS or self_closing:
            continue
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack and "<" not in text[pos:] and ">" not in text[pos:]


def has_frame(text: str) -> bool:
    return frame_fields(text) is not None


def coherent_frame(text: str) -> bool:
    m = FRAME_ELEMENTS.search(text)
    return m is not None and title_line(text) == SEP.join(m.groups())


def vocab_share(text: str, vocabulary: set[str]) -> float | None:
    ws = words(text)
    return sum(w in vocabulary for w in ws) / len(ws) if ws else None


def compression_bpc(train: str, val: str) -> dict[str, float]:
    """Bits per character each compressor spends on val once it has seen train."""
    t, tv = train.encode("utf-8"), (train + val).encode("utf-8")
    out = {}
    for name, compress in (("gzip", lambda b: gzip.compress(b, 9)), ("bz2", lambda b: bz2.compress(b, 9)),
                           ("lzma", lambda b: lzma.compress(b, preset=6))):
        out[name] = 8 * (len(compress(tv)) - len(compress(t))) / len(val)
    return out
