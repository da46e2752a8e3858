"""Closing tags that always match: a small constraint on sampling HTML.

A character model decides well *when* to close a tag but often forgets *which* one is
open after a few hundred characters ("<h4>Benefits</p>"). TagGuard follows the tags of
the text as it is written and, once the model has begun a closing tag with "</",
spells out the innermost open tag's name for it. Everything else, which tags to open,
when to close them, the words, and when the posting ends, stays the model's choice.
"""

from __future__ import annotations

VOID = {"br", "hr", "img", "meta", "link", "input"}


class TagGuard:
    def __init__(self, text: str = ""):
        self.stack: list[str] = []
        self.state = "text"
        self.name = ""
        self.expect = ""
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

    def _opened(self, name: str) -> None:
        if name not in VOID:
            self.stack.append(name)
        self.state = "text"
