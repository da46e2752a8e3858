"""Postings that parse: constraints on what a character model may write next.

The corpus (scraper/simplify.py) writes tags without attributes and escapes every
literal "<" and ">" of the text, so a "<" always begins a tag. A character model learns
that well but not perfectly: after a few hundred characters it forgets *which* tag is
open ("<h4>Benefits</p>"), and once in a while writes a stray "<" or ">". TagGuard
follows the tags of the text as it is written and says what may come next:

- in text: anything but ">";
- after "<": the first letter of a tag name, or "/" when a tag is open;
- in an opening tag's name: letters, digits or ">";
- and where the innermost open element is one the corpus has, only the names of the
  elements the corpus opens inside it (corpus_format.CHILDREN): "<li>" inside "<ul>",
  never "<positions>" or a second "<body>";
- after "</": the innermost open tag's name, spelled out;
- and in the body's prose (PROSE), brackets that close: no ")" without its "(", and no "<"
  while a "(" or a '"' is open, so each closes within its element's text. A generated
  posting had an unclosed parenthesis or quote in 4 of 10 postings, a real one in 1 of 50;
  past BRACKET_SOFT characters inside, the closing one gets e-fold likelier every
  BRACKET_SCALE (real parentheses: 17 characters at the median, 111 at the 99th
  percentile).

HtmlConstraint turns that into a mask over a vocabulary's logits, and also ends
postings that run long. Lowering the temperature sharpens every choice, including the
one between another "<li>" and "</ul>": at 0.8 the unlikelier closing loses out again
and again, and postings grow to several times the corpus's length.
Past wrap_up characters, each "/" after a "<" at the level of an element that ends the
posting (END_TAGS) is made e-fold likelier every WRAP_UP_SCALE characters, so the model
ends the posting after the element it is in; inside any other element (a list), only from
WRAP_UP_INNER characters later, so that a list nearly at its end is not hurried shut after
an item or two. Which tags to open, the words, and when to close before that stay the
model's choice.

Sampling runs the same rules in C for a whole batch at once (native/guard.c);
this module is their reference, and tests hold the two to the same masks.
"""

from __future__ import annotations

import string

import torch

from dreamjobs.corpus_format import CHILDREN, VOID_TAGS

WRAP_UP_SCALE = 500  # characters per e-fold of the odds of closing past wrap_up
WRAP_UP_INNER = 1200  # characters past wrap_up before elements but END_TAGS are steered to close too
END_TAGS = ("body", "html")  # closing these ends a posting: not before its length's floor
PROSE = ("p", "li", "h4", "strong", "em")  # the body's elements whose text holds sentences
MAX_PAREN = 3  # parentheses open at once, at most
BRACKET_SOFT, BRACKET_SCALE = 60, 20  # from 60 characters inside, the closing one e-fold likelier every 20


class TagGuard:
    def __init__(self, text: str = ""):
        self.stack: list[str] = []
        self.state = "text"
        self.name = ""
        self.expect = ""
        self.paren = 0  # parentheses open in the prose's text
        self.quote = 0  # 1 while a '"' is open there
        self.inside = 0  # characters since the outermost of them opened
        for ch in text:
            self.feed(ch)

    def forced(self) -> str | None:
        """The character that must come next, or None when the model may choose."""
        return self.expect[0] if self.state == "close" else None

    def feed(self, ch: str) -> None:
        state = self.state
        if state == "text":
            if ch == "<":
                self.state = "lt"
                self.paren = self.quote = self.inside = 0
            elif self.in_prose():
                self._bracket(ch)
        elif state == "lt":
            if ch == "/":
                if self.stack:
                    self.state, self.expect = "close", self.stack[-1] + ">"
                else:
                    self.state = "skip"  # nothing is open: leave the tag to the model
            elif ch.isalpha():
                self.state, self.name = "open", ch.lower()
            elif ch != "<":
                self.state = "text"  # a lone "<" in text
        elif state == "open":
            if ch.isalnum():
                self.name += ch.lower()
            elif ch == ">":
                self._opened(self.name)
            elif ch == "<":
                self.state = "lt"
            else:
                self.state = "attrs"
        elif state == "attrs":
            if ch == ">":
                self._opened(self.name)
        elif state == "close":
            if ch == self.expect[0]:
                self.expect = self.expect[1:]
                if not self.expect:
                    self.stack.pop()
                    self.state = "text"
            else:
                self.state = "text"  # the vocabulary could not spell it; give up on this tag
        elif state == "skip":
            if ch == ">":
                self.state = "text"

    def in_prose(self) -> bool:
        return bool(self.stack) and self.stack[-1] in PROSE

    def _bracket(self, ch: str) -> None:
        was_open = self.paren or self.quote
        if ch == "(":
            self.paren += 1
        elif ch == ")" and self.paren:
            self.paren -= 1
        elif ch == '"':
            self.quote ^= 1
        self.inside = self.inside + 1 if was_open and (self.paren or self.quote) else 0

    def _opened(self, name: str) -> None:
        if name not in VOID_TAGS:
            self.stack.append(name)
        self.state = "text"


class HtmlConstraint:
    """Masks a vocabulary's logits so that only what TagGuard allows can be sampled."""

    def __init__(self, chars: str, wrap_up: int | None = None):
        self.index = {c: i for i, c in enumerate(chars)}
        self.wrap_up = wrap_up

        def allow(ok) -> torch.Tensor | None:
            mask = torch.tensor([ok(c) for c in chars], dtype=torch.bool)
            return mask if mask.any() else None  # a vocabulary that cannot comply is left alone

        letters = set(string.ascii_letters)
        self.masks = {
            "text": allow(lambda c: c != ">"),
            "lt": allow(lambda c: c in letters or c == "/"),
            "lt-nothing-open": allow(lambda c: c in letters),
            "open": allow(lambda c: c in letters or c in string.digits or c == ">"),
        }
        self.slash = self.index.get("/")

        def spelled(name):  # a name the vocabulary cannot spell is never written, nor open
            return all(c in self.index for c in name)

        self.children = {parent: [n for n in names if spelled(n)] for parent, names in CHILDREN.items() if spelled(parent)}

    def corpus_names(self, guard: TagGuard) -> set[str]:
        """What may come next by the corpus's grammar, in a tag's name or after its "<"; empty
        where it does not apply: inside an element the corpus never opens (a prime's own), or
        in a name none of the corpus's begins with."""
        names = self.children.get(guard.stack[-1] if guard.stack else "")
        if names is None or guard.state not in ("lt", "open"):
            return set()
        typed = guard.name if guard.state == "open" else ""
        ok = {n[len(typed)] if len(n) > len(typed) else ">" for n in names if n.startswith(typed)}
        if guard.state == "lt" and guard.stack:
            ok.add("/")
        return {c for c in ok if c in self.index}

    def apply(self, logits: torch.Tensor, guard: TagGuard, written: int) -> torch.Tensor:
        """logits (V,) of the next character, given the guard of the text so far and its length."""
        forced = guard.forced()
        if forced is not None and forced in self.index:
            out = torch.full_like(logits, float("-inf"))
            out[self.index[forced]] = logits[self.index[forced]]
            return out
        state = guard.state
        if state == "lt" and not guard.stack:
            state = "lt-nothing-open"
        mask = self.masks.get(state)
        if mask is None:
            return logits
        out = logits.masked_fill(~mask, float("-inf"))
        ok = self.corpus_names(guard)
        if ok:
            out[[i for c, i in self.index.items() if c not in ok]] = float("-inf")
        if state == "lt" and self.wrap_up is not None and self.slash is not None:
            start = self.wrap_up + (0 if guard.stack[-1] in END_TAGS else WRAP_UP_INNER)
            if written > start:
                out[self.slash] += (written - start) / WRAP_UP_SCALE
        if state == "text" and guard.in_prose():
            out = self.brackets(out, guard)
        return out

    def brackets(self, logits: torch.Tensor, guard: TagGuard) -> torch.Tensor:
        """The prose's brackets close: no ")" without a "(", no "<" while one or a '"' is open;
        left as they are where nothing else would remain."""
        banned = [")"] if not guard.paren else ["("] if guard.paren >= MAX_PAREN else []
        if guard.paren or guard.quote:
            banned.append("<")
        out = logits.clone()
        out[[self.index[c] for c in banned if c in self.index]] = float("-inf")
        if not torch.isfinite(out).any():
            return logits
        if guard.inside > BRACKET_SOFT:
            closers = [c for c, is_open in ((")", guard.paren), ('"', guard.quote)) if is_open and c in self.index]
            out[[self.index[c] for c in closers]] += (guard.inside - BRACKET_SOFT) / BRACKET_SCALE
        return out
