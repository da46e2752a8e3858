"""Generated HTML is untrusted: a whitelist sanitizer (nh3), then a sandboxed, CSP-locked frame.

Two layers, each enough alone: nh3 keeps only the corpus's own tags with no attributes
at all (so no event handlers, URLs or styles survive), and the document is shown in an
iframe with an empty `sandbox` (no scripts, opaque origin) served under a
Content-Security-Policy that forbids every resource.
"""

from __future__ import annotations

import nh3
from dreamjobs.corpus_format import TAGS

# Elements dropped together with their content rather than unwrapped to text.
DROP_WITH_CONTENT = {"script", "style", "title", "head", "svg", "math", "iframe", "noscript", "template",
                     "textarea", "object", "embed", "select", "xmp", "noembed", "noframes"}

# How a posting looks when shown as a page of its own (the gallery's sandboxed frames).
FRAME_CSS = (
    "body{font:16px/1.5 Georgia,serif;max-width:46em;margin:1.5em auto;padding:0 1em;color:#222}"
    "h1{font:700 1.7em/1.2 system-ui,sans-serif;margin:.2em 0}"
    "h2{font:600 1.2em system-ui,sans-serif;color:#555;margin:.2em 0}"
    "h3{font:400 1em system-ui,sans-serif;color:#777;margin:.2em 0 1em}"
    "h4{font:600 1em system-ui,sans-serif;margin:1.2em 0 .3em}"
)


FRAME_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; sandbox"


def clean(text: str) -> str:
    """The posting's body as safe HTML: whitelisted tags, no attributes, no comments, and no blank
    lines where the dropped head stood."""
    return nh3.clean(text, tags=set(TAGS), attributes={}, clean_content_tags=DROP_WITH_CONTENT,
                     url_schemes=set(), strip_comments=True, link_rel=None).strip()


def frame_page(text: str, title: str = "Dream job") -> str:
    """A whole page for the sandboxed frame."""
    safe_title = nh3.clean_text(title or "Dream job")
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{safe_title}</title>'
            f"<style>{FRAME_CSS}</style></head><body>{clean(text)}</body></html>")

