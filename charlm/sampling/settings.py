"""What a caller may ask of one posting, and the bounds the gallery and the CLIs share."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from dreamjobs.corpus_format import DOC_END, DOC_START, FIELDS, field_text, frame

from ..company_slot import COMPANY_SLOT
from ..copies import COPY_LIMIT
from ..data import Vocab
from ..profile import FLOOR_MARGIN, WRAP_UP_MARGIN, CorpusProfile
from ..errors import SettingsError
from ..models import ModelConfig, family
from . import native
from .copy_guard import Q
from .frame import MAX_FIELD, FrameWriter

# The gallery's and the sample CLI's most characters per posting: the longest corpus
# posting has 15k characters, the median 4k.
POSTING_LENGTH = 12000
# The temperatures the gallery and the sample CLI offer: below 0.1 sampling is argmax in all but
# name, above 2.0 it writes gibberish. The Python API takes any positive temperature.
TEMPERATURE_RANGE = (0.1, 2.0)
DEFAULT_PRECISION = "int8"  # the fastest; what it costs in val loss is in BENCHMARKS.md
# Where a model has no profile, the wrap-up starts here (short of the corpus median, 4,228: a
# model ends a posting on its own less often than the corpus does).
FIXED_WRAP_UP = 3500


@dataclass(frozen=True)
class SampleSettings:
    prime: str = DOC_START
    temperature: float = 0.95
    max_length: int = 3000
    seed: int | None = None
    top_k: int | None = None
    argmax: bool = False
    stop: str | None = DOC_END
    guard: bool = True  # tags always parse and close in order (the tag guard, native/guard.c)
    # Guarded postings are steered to a length drawn from the model's corpus (profile.py): None.
    # A number fixes where the wrap-up starts instead, with no floor (as for a model without a profile).
    wrap_up_after: int | None = None
    top_p: float | None = None  # nucleus: sample among the likeliest characters holding this share
    min_p: float | None = None  # leave out characters less likely than this share of the likeliest's
    real_words: bool = True  # every word written is one its corpus uses (the known-words guard), where known
    # A body's words steered to the shares its corpus gives them (word_shares.py), where the run has them;
    # with the known-words guard only, whose trie carries them.
    word_shares: bool = True
    # The frame (title line, h1-h3) sampled at this temperature, the body at `temperature`; None: one
    # temperature throughout. Below 1 the titles crowd onto the commonest ("Software Engineer").
    frame_temperature: float | None = 1.0
    # Fields of the frame written for the model (frame.py); it writes the rest.
    title: str | None = None
    company: str | None = None
    location: str | None = None
    # Guarded postings copy no more than this many characters of the model's corpus in a row,
    # when the corpus is at hand (copy_guard.py).
    max_copy: int | None = COPY_LIMIT

    def fields(self) -> dict[str, str]:
        return {k: v for k in FIELDS if (v := getattr(self, k)) is not None}

    def frame_writer(self, vocab: Vocab, known: frozenset[str] | None = None) -> FrameWriter | None:
        """The writer that keeps this posting's frame coherent, with the prime fed; None when it has no part.

        Guarded postings get one; so does any posting given a field. `known`: the known-words guard's
        words, where it is on for the row (its company may coin others)."""
        writer = self._primed_writer(vocab, known) if self.guard or self.fields() else None
        return writer if writer is not None and writer.want is not None else None

    def _primed_writer(self, vocab: Vocab, known: frozenset[str] | None = None) -> FrameWriter | None:
        """A FrameWriter for the fields, fed the prime; None when the vocabulary cannot spell the frame."""
        if vocab.missing(frame("a", "b", "c")):
            return None
        writer = FrameWriter(**self.fields(), known=known)
        for ch in self.prime:
            writer.feed(ch)
        return writer

    def ends(self, profile: CorpusProfile | None, seed: int) -> tuple[int, int]:
        """(floor, wrap-up) of a guarded posting, in characters written after the prime: it may not
        end before the floor, and is steered to its end after the wrap-up. Drawn from the corpus's
        lengths by the seed where the model has a profile; within max_length either way."""
        if self.wrap_up_after is not None or profile is None:
            return 0, min(FIXED_WRAP_UP if self.wrap_up_after is None else self.wrap_up_after, self.max_length // 2)
        target = profile.draw_length(seed) - len(self.prime)
        wrap_up = max(0, min(int(target - WRAP_UP_MARGIN), self.max_length * 3 // 4))
        return max(0, min(int(target - FLOOR_MARGIN), wrap_up)), wrap_up

    def check(self, vocab: Vocab) -> None:
        if not self.prime:
            raise SettingsError("prime must hold at least one character")
        check_text(vocab, self.prime, "prime")
        for name in ("temperature", "frame_temperature"):
            value = getattr(self, name)
            if not self.argmax and value is not None and not 0 < value < float("inf"):
                raise SettingsError(f"{name} must be a positive number, got {value}")
        if self.max_length < 0:
            raise SettingsError(f"max_length must be >= 0, got {self.max_length}")
        problem = check_truncation(self.top_p, self.min_p)
        if problem:
            raise SettingsError(problem)
        if self.wrap_up_after is not None and self.wrap_up_after < 0:
            raise SettingsError(f"wrap_up_after must be >= 0, got {self.wrap_up_after}")
        if self.max_copy is not None and self.max_copy < 2 * Q:
            raise SettingsError(f"max_copy must be at least {2 * Q} characters, got {self.max_copy}")
        if self.top_k is not None and self.top_k < 1:
            raise SettingsError(f"top_k must be at least 1, got {self.top_k}")
        if self.stop and len(self.stop) > native.MAX_STOP:
            raise SettingsError(f"stop must be at most {native.MAX_STOP} characters, got {len(self.stop)}")
        fields = self.fields()
        check_fields(fields)
        for name, value in fields.items():
            check_text(vocab, field_text(value), name)
        if fields:
            writer = self._primed_writer(vocab)
            if writer is None:
                raise SettingsError(f"this model's vocabulary cannot write the posting frame (it lacks "
                                    f"{vocab.missing(frame('a', 'b', 'c'))}), so it takes no {', '.join(fields)}")
            if not writer.followed:
                raise SettingsError(f"{', '.join(fields)} need a prime that begins the posting frame, such as "
                                    f"the default '<html>'; got prime {self.prime[:40]!r}")


# What a request may choose of how a posting is drawn, beside its prime, length, seed and fields.
SAMPLING_KNOBS = ("temperature", "frame_temperature", "top_k", "top_p", "min_p", "guard", "real_words", "word_shares")


def settings_for(config: ModelConfig, **given) -> SampleSettings:
    """A model family's sampling defaults (models/families.py: its departures from SampleSettings'
    own) with what is given (None: not given) in their place: what a request gets. The realism
    sweep (benchmarks/realism_sweep.py; BENCHMARKS.md, "Realism") found the same best for both
    families, SampleSettings' own: the body at 0.95, the frame at 1.0, the known-words guard on."""
    return SampleSettings(**{**family(config).sampling, **{k: v for k, v in given.items() if v is not None}})


def check_truncation(top_p: float | None, min_p: float | None) -> str | None:
    """Why top_p or min_p is out of range, or None."""
    if top_p is not None and not 0 < top_p <= 1:
        return f"top_p must be in (0, 1], got {top_p}"
    if min_p is not None and not 0 <= min_p < 1:
        return f"min_p must be in [0, 1), got {min_p}"
    return None


def check_fields(fields: dict) -> None:
    """The title, company and location a caller gives: text with a visible character, at most MAX_FIELD long."""
    for name, value in fields.items():
        if not isinstance(value, str) or not value.strip():
            raise SettingsError(f"{name} must be text with at least one visible character")
        if len(value) > MAX_FIELD:
            raise SettingsError(f"{name} must be at most {MAX_FIELD} characters, got {len(value)}")


MAX_SEED = 2**31 - 1


def new_seed() -> int:
    """A random seed in [0, MAX_SEED)."""
    return secrets.randbelow(MAX_SEED)


def check_text(vocab: Vocab, text: str, what: str) -> None:
    """Text a caller gives is in the model's vocabulary, and is text: not the company slot's
    reserved character, which only the model writes (charlm/company_slot.py)."""
    vocab.check(text, what)
    if COMPANY_SLOT in text:
        raise SettingsError(f"{what} holds U+{ord(COMPANY_SLOT):04X}, the character a model writes for its own "
                            "company; it is not text")
