"""Rows sampled together: one `advance` moves every row on by one character.

Rows join at any step (their prime runs alone first) and leave when their posting
ends or their reader goes away, so one batch can serve a stream of requests
(continuous batching, server.py) as well as one `generate(n)` call. Each row
keeps its own settings and random stream; the guard, the draw and the stop check run
in C over all rows at once (native/guard.c).
"""

from __future__ import annotations

import ctypes
import string
from typing import Hashable

import torch

from dreamjobs.corpus_format import CHILDREN, LEAD, VOID_TAGS

from . import native
from ..data import Vocab
from .company import CompanySlots
from .frame import FrameWriter, Want
from .known_words import LETTERS, add_frame_names, name_table, set_own_words, word_trie
from .reference_guard import BRACKET_SCALE, BRACKET_SOFT, END_TAGS, MAX_PAREN, PROSE, WRAP_UP_INNER, WRAP_UP_SCALE
from .copy_guard import CopyGuard
from .word_shares import SHARE_TABLES

START = LEAD  # training reads every posting but the first after this


def start_ids(vocab: Vocab, prime: str) -> list[int]:
    """What a row reads before its first draw: START (where the vocabulary has it), then its prime."""
    lead = START if not vocab.missing(START) else ""
    return [vocab.index[c] for c in lead + prime]


class VocabTables:
    """The vocabulary's character classes and masks as the C kernel's Guard reads them, with the
    known words' trie where a word list is given, and the body's beside it: those words but the
    companies' names (profile.py), with their word shares where the run has them (word_shares.py)."""

    def __init__(self, vocab: Vocab, known_words=None, company_words=None, company_names=(), word_shares=None):
        chars, index = vocab.chars, vocab.index
        self.chars = chars
        letters, digits = set(string.ascii_letters), set(string.digits)

        def table(values, dtype):
            return torch.tensor(values, dtype=dtype)

        def mask(ok):
            return [int(ok(c)) for c in chars]

        masks = [mask(lambda c: c != ">"), mask(lambda c: c in letters or c == "/"),
                 mask(lambda c: c in letters), mask(lambda c: c in letters or c in digits or c == ">")]
        lower = [index.get(c.lower(), -1) if len(c.lower()) == 1 else -1 for c in chars]
        def spelled(tags):  # a name the vocabulary cannot spell can never be written, so it is left out
            return [name for name in sorted(tags) if not vocab.missing(name)]

        def names(tags):
            return [[index[ch] for ch in name] + [-1] * (native.MAX_NAME - len(name)) for name in spelled(tags)]

        voids, ends = names(VOID_TAGS), names(END_TAGS)
        tags = spelled({name for kids in CHILDREN.values() for name in kids} | set(CHILDREN) - {""})
        assert len(tags) <= 32, "the guard keeps which tags open inside which in 32 bits"
        children = [sum(1 << t for t, name in enumerate(tags) if name in CHILDREN.get(parent, ()))
                    for parent in ["", *tags]]
        self.keep = [table([c.isalpha() for c in chars], torch.uint8), table([c.isalnum() for c in chars], torch.uint8),
                     table(lower, torch.int32), table(masks, torch.uint8),
                     table([any(m) for m in masks], torch.uint8), table(voids or [[-1] * native.MAX_NAME], torch.int32),
                     table(ends or [[-1] * native.MAX_NAME], torch.int32),
                     table(names(tags) or [[-1] * native.MAX_NAME], torch.int32),
                     table(children, torch.int64).to(torch.int32),
                     table([LETTERS.find(c.lower()) if c in string.ascii_letters else -1 for c in chars], torch.int32),
                     table([c in string.digits for c in chars], torch.uint8)]
        pointers = [t.data_ptr() for t in self.keep]
        self.known_words = known_words is not None
        self.known = frozenset(known_words or ())
        if self.known_words:
            self.trie = [torch.from_numpy(a) for a in word_trie(known_words)]
            pointers += [t.data_ptr() for t in self.trie]
        self._banned: dict[Want, torch.Tensor] = {}
        self.struct = native.Guard(len(chars), index.get("<", -1), index.get("/", -1), index.get(">", -1),
                                   index.get("&", -1), len(voids), len(ends), len(tags), float(WRAP_UP_SCALE),
                                   *pointers)
        self.struct.space = index.get(" ", -1)
        self.struct.wrap_up_inner = WRAP_UP_INNER
        self.struct.lparen, self.struct.rparen, self.struct.quote = (index.get(c, -1) for c in '()"')
        self.struct.max_paren, self.struct.bracket_soft, self.struct.bracket_scale = MAX_PAREN, BRACKET_SOFT, BRACKET_SCALE
        self.struct.prose = sum(1 << t for t, name in enumerate(tags) if name in PROSE)
        self.body_words = self.known_words and company_words is not None
        self.word_shares = False  # the body's words steered to the corpus's shares (word_shares.py)
        out = frozenset(company_words or ())
        # The names' words that a row's own frame gives stay its body's: a company's, and a name's last.
        self.own_names = out | frozenset(name[-1] for name in company_names)
        if self.body_words:
            self._body_tables([w for w in known_words if w not in out], company_names, word_shares)

    def _body_tables(self, body_words: list[str], company_names, word_shares) -> None:
        """The body's trie, the names it may not write, and their word shares where there are some."""
        trie = word_trie(body_words)
        names, last, self.struct.n_names = name_table(trie, company_names)
        self.body_trie = [torch.from_numpy(a) for a in (*trie, names, last)]
        (self.struct.body_letters, self.struct.body_first, self.struct.body_end, self.struct.names,
         self.struct.name_last) = (t.data_ptr() for t in self.body_trie)
        self.word_shares = word_shares is not None
        if self.word_shares:
            odds = word_shares.tables(trie, self.chars)
            self.share_odds = {k: torch.from_numpy(getattr(odds, k)) for k in SHARE_TABLES}
            for k, t in self.share_odds.items():
                setattr(self.struct, k, t.data_ptr())
            self.struct.symbol_at = len(trie[0])

    def banned(self, want: Want) -> torch.Tensor:
        """The characters a frame's Want rules out, as a mask over the vocabulary."""
        mask = self._banned.get(want)
        if mask is None:
            mask = torch.tensor([not want.allows(c) for c in self.chars])
            self._banned[want] = mask  # a handful of distinct Wants per posting: a small cache
        return mask


class Batch:
    """Up to `capacity` rows of one generator's model, packed in slots [0, B)."""

    def __init__(self, generator, capacity: int):
        self.vocab: Vocab = generator.vocab
        self.lib = native.lib()
        self.tables = generator.vocab_tables
        self.profile = generator.profile
        self.stepper = generator.engine.stepper(capacity)
        self.capacity = capacity
        self.rows = (native.Row * capacity)()
        self.ids = torch.zeros(capacity, dtype=torch.int32)
        self.scratch = torch.zeros(2 * len(self.vocab))  # the draw's (native/guard.c)
        self.keys: list[Hashable] = []
        self.frames: dict[Hashable, FrameWriter] = {}  # rows still writing their frame (frame.py)
        self.body_temperature: dict[Hashable, float] = {}  # of rows writing their frame at another
        index = generator.copy_index
        self.copies = CopyGuard(index, self.vocab.chars, capacity) if index is not None else None
        self.companies = CompanySlots.of(self.vocab)  # where the model writes its company as a slot
        # Each row's written words (Row.repeats, Row.used), where word shares are kept: one buffer of
        # each per row, handed to a row as it starts (a row moves between slots, its buffers with it).
        nodes = len(self.tables.body_trie[0]) if self.tables.word_shares else 0
        self.repeats = torch.zeros(capacity, nodes)
        self.used = torch.zeros(capacity, nodes + len(self.vocab) if nodes else 0, dtype=torch.uint8)  # then symbols
        self.free = list(range(capacity))
        self.buffer: dict[Hashable, int] = {}

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, key: Hashable, settings, seed: int) -> bool:
        """Start a row for checked settings; False when it is already complete (max_length 0)."""
        if len(self.keys) >= self.capacity:
            raise RuntimeError("batch is full")
        if settings.max_length == 0:
            return False
        vocab, s = self.vocab, settings
        prime = [vocab.index[c] for c in s.prime]
        state, logits = self.stepper.start(start_ids(vocab, s.prime))
        row = native.Row()
        row.seed, row.temperature = seed, s.temperature
        row.top_p, row.min_p = (1.0 if s.top_p is None else s.top_p), s.min_p or 0.0
        row.argmax, row.top_k, row.guard = int(s.argmax), s.top_k or 0, int(s.guard)
        row.min_length, row.wrap_up = s.ends(self.profile, seed) if s.guard else (0, -1)
        row.max_length = s.max_length
        row.real_words, row.word = int(s.real_words and self.tables.known_words), native.W_BETWEEN
        row.said[:] = [-1, -1]
        row.word_shares = int(s.word_shares and row.real_words and self.tables.word_shares)
        if row.word_shares:
            i = self.buffer[key] = self.free.pop()
            self.repeats[i].zero_()
            self.used[i].zero_()
            row.repeats, row.used = self.repeats[i].data_ptr(), self.used[i].data_ptr()
        if row.real_words:
            set_own_words(row, s.fields())
        stop = [vocab.index[c] for c in s.stop or ""] if s.stop and not vocab.missing(s.stop) else []
        row.stop_len = len(stop)
        row.stop[:len(stop)] = stop
        tail = prime[-native.MAX_STOP:]
        row.tail[:] = [-1] * (native.MAX_STOP - len(tail)) + tail
        for c in s.prime:
            self.lib.dj_row_feed(ctypes.byref(self.tables.struct), ctypes.byref(row), vocab.index[c])
        slot = len(self.keys)
        self.rows[slot] = row
        self.stepper.put(slot, state, logits)
        self.keys.append(key)
        if self.copies is not None:
            self.copies.start(slot, prime, s.max_copy if s.guard else None)
        if self.companies is not None:
            self.companies.start(key, s.prime, s.max_length)
        writer = s.frame_writer(vocab, self.tables.known if row.real_words else None)
        if writer is not None:
            self.frames[key] = writer
            if s.frame_temperature is not None:  # the frame at its own temperature, then the body at the row's
                self.rows[slot].temperature = s.frame_temperature
                self.body_temperature[key] = s.temperature
        return True

    def remove(self, key: Hashable) -> None:
        slot, last = self.keys.index(key), len(self.keys) - 1
        if slot != last:
            self.stepper.move(last, slot)
            ctypes.memmove(ctypes.byref(self.rows[slot]), ctypes.byref(self.rows[last]), ctypes.sizeof(native.Row))
            self.ids[slot] = self.ids[last]
            self.keys[slot] = self.keys[last]
            if self.copies is not None:
                self.copies.move(last, slot)
        self.keys.pop()
        if key in self.buffer:
            self.free.append(self.buffer.pop(key))
        self.frames.pop(key, None)
        self.body_temperature.pop(key, None)
        if self.companies is not None:
            self.companies.drop(key)

    def _leave_copies(self, B: int) -> None:
        """Rule out the characters that would continue a long verbatim copy (copy_guard.py)."""
        logits = self.stepper.logits
        for slot in self.copies.copying(B):
            writer = self.frames.get(self.keys[slot])
            if (writer is not None and writer.want.only is not None) or self.rows[slot].state != native.TEXT:
                continue  # tags, and the frame's fixed parts, are written by their own rules
            extend = torch.from_numpy(self.copies.continuing(slot))
            if ">" in self.vocab.index:
                extend[self.vocab.index[">"]] = True  # never allowed in text anyway
            if "<" in self.vocab.index:  # the next element's tag is the tag guard's: ruled out, a body
                extend[self.vocab.index["<"]] = False  # whose frame is a corpus's would open without one
            if (~extend & torch.isfinite(logits[slot])).any():
                logits[slot].masked_fill_(extend, float("-inf"))

    def advance(self) -> list[tuple[Hashable, str, bool]]:
        """Draw one character for every row: [(key, character, finished)]. Finished rows leave."""
        B = len(self.keys)
        if not B:
            return []
        if self.frames:
            logits = self.stepper.logits
            for slot, key in enumerate(self.keys):
                writer = self.frames.get(key)
                if writer is not None:
                    logits[slot].masked_fill_(self.tables.banned(writer.want), float("-inf"))
                    self.rows[slot].coin = writer.want.coin
        if self.copies is not None:
            self._leave_copies(B)
        if self.companies is not None:
            self.companies.rule_out(self.keys, self.stepper.logits)
        self.lib.dj_sample(ctypes.byref(self.tables.struct), self.rows, B, self.stepper.logits.data_ptr(),
                           self.ids.data_ptr(), self.scratch.data_ptr())
        if self.copies is not None:
            self.copies.feed(self.ids[:B].numpy())
        chars = self.vocab.chars
        out = [(key, chars[i], bool(self.rows[b].done)) for b, (key, i) in enumerate(zip(self.keys, self.ids[:B].tolist()))]
        if self.companies is not None:  # what a reader sees: the slot as the row's company, counted in full
            out = [(key, self.companies.write(key, ch), done) for key, ch, done in out]
            for b, (_, text, _) in enumerate(out):
                if len(text) > 1:
                    self.rows[b].written += len(text) - 1
        for key, ch, done in out:
            writer = self.frames.get(key)
            if writer is not None:
                writer.feed(ch)
                if writer.want is None:
                    del self.frames[key]
                    row = self.rows[self.keys.index(key)]
                    row.coin = 0
                    if key in self.body_temperature:
                        row.temperature = self.body_temperature.pop(key)
                    if writer.followed and row.real_words and self.tables.body_words:
                        row.in_body = 1  # the body's words, and the names its own frame gave
                        add_frame_names(row, writer.fields(), self.tables.own_names, self.tables.known)
            if done:
                self.remove(key)
        if self.keys:
            self.stepper.step(self.ids[:len(self.keys)])
        return out
