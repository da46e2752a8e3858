"""A posting's frame, written by the model and kept in agreement by the sampler.

Every corpus posting opens with the same frame: a <title> line "TITLE - COMPANY - LOCATION",
then <h1>TITLE</h1>, <h2>COMPANY</h2>, <h3>LOCATION</h3> (dreamjobs/corpus_format.py).

A character model writes the title line well, but by the time it reaches <h1> it has
drifted: "Software Engineer, Beached - ..." above "Senior Software Engineer, Hospital".
FrameWriter follows one row as it is sampled and says which characters may come next
while the frame is being written:

- the title line is the model's own, except for the fields a caller gave (title,
  company, location), which are written for it, so the model writes the rest conditioned on
  them. The model must write enough " - " separators before it may close the title;
  a field that runs on into prose ends at its next word, and a location list that
  runs on ends (see the limits below);
- h1, h2 and h3 are copied from the title line. Where the line has more separators
  than fields ("Engineer - Backend - Acme - Seattle"), the model chooses at each
  separator whether a field ends there, as it learned from the corpus;
- with the known-words guard on, the company the model writes may hold words the corpus
  lacks (Want.coin), as a real posting's often does; a line whose company did takes no
  separator once its location begins, so that its h2 is that company.

After "</h3>" the writer is done and the model writes the body alone. The writer works
on characters only; batch.py turns its wishes into masks over the logits.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import ascii_letters
from typing import Iterator

from dreamjobs.corpus_format import FIELDS, HEAD, SEP, TITLE_END, field_text, frame_fields, words

MAX_FIELD = 200  # characters of a field given by a caller
# 98% of corpus title lines are under 320 characters; the rest list many locations
# ("San Jose, CA; Austin, TX; ..."), a list a model can repeat forever. Past LONG_TITLE_LINE
# the list may not go on (no ";"), and past LONGEST_TITLE_LINE the line ends where it may.
LONG_TITLE_LINE = 320
LONGEST_TITLE_LINE = 640
# How long each field runs in the corpus's 2,130 postings: a title at most 145 characters (99%
# under 77), a company 51 (99% under 37), a place of a location list 37 (99% under 24; places
# are joined by "; "). A model that writes on past these has left its field for prose, a company
# such as "DLA (to be internally) Tool Creates, Area (2000). Required to..." that the company
# slot then writes into the body at every mention: past its limit a field ends with its word.
FIELD_LIMITS = (80, 40, 30)  # title, company, each place of the location
PLACES = "; "
# A company holds no quotes or brackets (one of the corpus's 2,130 does): a body names its company
# in prose, where each bracket must close, as written (the company slot), not as the guard saw it.
COMPANY_BANS = '"()'
OVERRUN = 20  # the most characters the word a field's limit falls in may add; one it cut may then finish, in as many


@dataclass(frozen=True)
class Want:
    """The characters allowed next: one of `only`, or anything but `banned`. `coin`: the model is
    writing its company's name on the title line, where it may coin a word the corpus lacks."""
    only: str | None = None
    banned: str = ""
    coin: bool = False

    def allows(self, ch: str) -> bool:
        return ch in self.only if self.only is not None else ch not in self.banned


class FrameWriter:
    """One row's frame. `want` is a Want while the frame is being written, None after."""

    def __init__(self, title: str | None = None, company: str | None = None, location: str | None = None,
                 known: frozenset[str] | None = None):
        self.given = [None if v is None else field_text(v) for v in (title, company, location)]
        self.known = known  # the known-words guard's words, where it is on: the company may coin others
        self.followed = True  # False once a character came that the frame did not allow
        self.text = ""  # what the row wrote while its frame was being written
        self._script = self._run()
        self.want: Want | None = next(self._script)

    def feed(self, ch: str) -> None:
        """The character the row wrote next (a prime's, or a sampled one)."""
        if self.want is None:
            return
        self.text += ch
        if not self.want.allows(ch):  # a prime went its own way: the frame is the model's
            self._script.close()
            self.want, self.followed = None, False
            return
        try:
            self.want = self._script.send(ch)
        except StopIteration:
            self.want = None

    def fields(self) -> dict[str, str]:
        """The title, company and location of a frame written to its end, as its h1-h3 hold them."""
        found = frame_fields(self.text)
        return dict(zip(FIELDS, found)) if found else {}

    def _run(self) -> Iterator[Want]:
        yield from _literal(HEAD)
        regions: list[tuple[str, int]] = []  # (text on the title line, fields it holds)
        i = 0
        while i < 3:
            if self.given[i] is not None:
                yield from _literal(self.given[i] + (SEP if i < 2 else TITLE_END + "<h1>"))
                regions.append((self.given[i], 1))
                i += 1
                continue
            j = i
            while j + 1 < 3 and self.given[j + 1] is None:
                j += 1
            text = yield from _free(i, j - i, last=j == 2, known=self.known)
            regions.append((text, j - i + 1))
            i = j + 1
        k = 0
        for text, n in regions:
            yield from _copy(text, n, k)
            k += n


def _literal(text: str) -> Iterator[Want]:
    for ch in text:
        yield Want(only=ch)


def _free(first: int, separators: int, last: bool, known: frozenset[str] | None = None) -> Iterator[Want]:
    """The model writes a stretch of the title line holding fields first..first+separators. It
    ends at the separator after them (a given field follows) or at "</title>" (it ends the
    line). Returns the stretch. With `known`, a company may hold words it lacks (Want.coin); a
    line whose company did has no separator after its location's, so that its h2 is that company."""
    text = ""
    coined = None  # whether the company coined a word, once the location begins
    while True:
        k = min(first + text.count(SEP), 2)  # the field being written, by the separators so far
        if k == 2 and coined is None:
            coined = known is not None and first <= 1 and any(w not in known for w in words(text.split(SEP)[1 - first]))
        field = text.rsplit(SEP, 1)[-1]
        if k == 2:  # a location's limit is each place's
            field = field.rsplit(PLACES, 1)[-1]
        over = len(field.rstrip(" ")) - FIELD_LIMITS[k]  # characters past the field's limit, if >= 0
        if text.count(SEP) < separators + (not last) and over >= 0 and (text.endswith(" ") or over >= OVERRUN):
            sep = SEP[1:] if text.endswith(" ") else SEP
            yield from _literal(sep)
            text += sep
            if not last and text.count(SEP) > separators:
                return text[:-len(SEP)]
            continue
        may_end = last and text.count(SEP) >= separators and text.strip() and not text.endswith(" ")
        ends_here = may_end and over >= 0  # the last field ends with the word it is in
        if may_end and (len(text) >= LONGEST_TITLE_LINE or over >= OVERRUN):
            # A word cut off would be a word the corpus does not have: one begun may finish (the
            # known-words guard ends it where a word of the corpus does), up to OVERRUN more.
            cut = len(text) >= LONGEST_TITLE_LINE + OVERRUN or over >= 2 * OVERRUN or not text[-1] in ascii_letters
            ch = yield Want(only="<" if cut else "<" + ascii_letters)
        else:
            ch = yield Want(banned="\n" + ("" if may_end else "<") + (" " if not text or ends_here else "")
                            + (";" if len(text) >= LONG_TITLE_LINE or ends_here else "")
                            + ("-" if coined and text.endswith(" ") else "") + (COMPANY_BANS if k == 1 else ""),
                            coin=k == 1 and known is not None)
        if ch == "<":
            yield from _literal(TITLE_END[1:] + "<h1>")  # its "<" is written
            return text
        text += ch
        if not last and text.count(SEP) > separators:
            return text[:-len(SEP)]
    return None


def _copy(text: str, n: int, k: int) -> Iterator[Want]:
    """Write fields k..k+n-1 (h{k+1}...) from their stretch of the title line, the model
    choosing which n-1 of its separators end a field; the last field closes with </h3>."""
    p = start = 0
    left = n - 1
    while left:
        if p >= len(text):
            choice = "<"  # overlapping separators ("A - - B") can leave a field empty
        elif text.startswith(SEP, p):
            later = text.count(SEP, p + len(SEP))
            if later < left:
                choice = "<"  # the remaining fields need every separator left
            elif p > start:
                choice = text[p] + "<"
            else:
                choice = text[p]
        else:
            choice = text[p]
        ch = yield Want(only=choice)
        if ch == "<":
            yield from _literal(f"/h{k + 1}>\n<h{k + 2}>")
            p += len(SEP)
            start = p
            left -= 1
            k += 1
        else:
            p += 1
    yield from _literal(text[p:] + f"</h{k + 1}>\n" + (f"<h{k + 2}>" if k < 2 else ""))
