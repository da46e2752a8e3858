"""The header in view: a transformer that keeps its posting's header (the <title> line's
title, company and location) in view to the posting's last character.

A window of block_size characters loses the header 256 characters in, and a model that
no longer sees its company writes the corpus's commonest company's boilerplate instead
(issue 40 measured two thirds of postings doing so). The choice here is a pinned header:
each block's attention gets a second part, over the keys and values that block computed
for the header's characters when it read them, and adds it through a gate per head that
starts at zero, so a model fine-tuned from one without it starts exactly where that one
was. The header's keys and the queries that read them are not rotated: the header is not
a place in the window at some distance, it is the posting's own, wherever the posting is.
Against the alternatives: a summary vector per layer would need a second encoder and
loses the words of a long company name; classifier-free guidance doubles every step
(BENCHMARKS.md, "The header in view").

Which characters are the header is one rule in every path (HeaderMatcher here; the C
kernel, native/transformer.c, runs it character by character too): after a row reads
HEAD ("<html>\\n<head><title>"), the characters up to and including the first HEADER_END
("</title>") are its header; it is pinned if it fits header_slots, and from the character
that completes it every position of the posting sees it. The next HEAD drops it.

Training (HeaderWindows): each window carries the header of one posting, read on its own
(after LEAD, as a sampled row reads it), and a mask of the window's characters that see
it: those of that posting from its header's end on. Where a window holds two postings'
characters, it carries the header of the one with more characters that see theirs, and the
other's see none, as under a header too long to pin (on this corpus, 128 slots pin 93.5% of
the train postings' headers, and 0.6% of the characters past a pinned header lose it so).
"""

from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn.functional as F

from dreamjobs.corpus_format import HEAD, HEADER_END, LEAD

from ..data import StreamBatches
from ..errors import DataError

# A row's matcher state, as the state tuples hold it (rows on the second axis): the characters
# collected so far + 1 while reading a header (0: not reading one), the pinned header's
# length (0: none), and how far HEAD and HEADER_END are matched.
COLLECTED, PINNED, OPEN_AT, CLOSE_AT = range(4)
META_ROWS = 4
HEADER_GATE = "header_gate"  # each block's gate per head, a parameter of its attention
# The gate is its parameter times this: a fine-tune's learning rate (1.5e-4) moves a parameter by
# at most about that a step, so a plain gate would stay near 0.3 after an epoch that starts it at 0.
GATE_GAIN = 10.0


def with_header_ids(config, vocab):
    """A ModelConfig with its header's markers, HEAD and HEADER_END, in a vocabulary's ids (if it has a header)."""
    if not config.header_slots:
        return config
    missing = vocab.missing(HEAD + HEADER_END + LEAD)
    if missing:
        raise DataError("--header-slots keeps a posting's <title> line in view, but the corpus is not in the "
                        f"posting format (its vocabulary lacks {', '.join(map(repr, missing))})")
    return replace(config, header_open=tuple(vocab.index[c] for c in HEAD),
                   header_close=tuple(vocab.index[c] for c in HEADER_END))


def with_gates(model, weights: dict) -> dict:
    """A checkpoint's weights with the header gates it lacks at zero, the model's own: a model
    given a header starts where it was."""
    own = model.state_dict()
    return {**{k: own[k] for k in own if k.endswith(HEADER_GATE) and k not in weights}, **weights}


def prune_gates(weights: dict, below: float) -> tuple[dict, int, int]:
    """Weights with the header gate of each head that takes less than `below` of its header (the
    gate as the model reads it) set to 0, and (heads kept, heads): a head whose gate is 0 costs
    the sampler nothing (native/attention.c skips it)."""
    pruned, kept, heads = dict(weights), 0, 0
    for key, gate in weights.items():
        if key.endswith(HEADER_GATE):
            keep = (gate.float() * GATE_GAIN).abs() >= below
            pruned[key] = torch.where(keep, gate, torch.zeros_like(gate))
            kept, heads = kept + int(keep.sum()), heads + gate.numel()
    return pruned, kept, heads


def training_batches(config, docs: list[torch.Tensor], batch_size: int, seq_length: int, lead: torch.Tensor):
    """An epoch's batches of a model: char-rnn's streams, with each window's header where it has one."""
    if config.header_slots:
        return HeaderWindows(docs, batch_size, seq_length, config, lead)
    return StreamBatches(torch.cat(docs), batch_size, seq_length)


class HeaderMatcher:
    """The rule above for one row, a character at a time; `meta` is its four numbers."""

    def __init__(self, config, meta: list[int]):
        self.open, self.close, self.slots = config.header_open, config.header_close, config.header_slots
        self.meta = list(meta)

    def feed(self, c: int) -> int:
        """Read one character; returns the header slot it is kept in, or -1."""
        m, op, cl = self.meta, self.open, self.close
        m[OPEN_AT] = m[OPEN_AT] + 1 if c == op[m[OPEN_AT]] else int(c == op[0])
        if m[OPEN_AT] == len(op):  # a new posting: its header comes next
            m[:] = [1, 0, 0, 0]
            return -1
        if m[COLLECTED] == 0:
            return -1
        n = m[COLLECTED] - 1
        m[COLLECTED] += 1
        m[CLOSE_AT] = m[CLOSE_AT] + 1 if c == cl[m[CLOSE_AT]] else int(c == cl[0])
        if m[CLOSE_AT] == len(cl):
            m[PINNED] = n + 1 if n < self.slots else 0
            m[COLLECTED] = m[CLOSE_AT] = 0
        return n if n < self.slots else -1


def attend_header(q, keys, values, mask, has):
    """Attention of q (B, H, T, d) over header keys (B, H, S, d) where mask (B, T, S) allows;
    zero for the positions that see no header (has (B, T) False), whose mask row allows a dummy."""
    y = F.scaled_dot_product_attention(q, keys.type_as(q), values.type_as(q), attn_mask=mask[:, None])
    return y * has[:, None, :, None].to(y.dtype)


class Capture:
    """The header read on its own (training): keeps each layer's un-rotated keys and values of
    its slots, from `start` on."""

    def __init__(self, start: int, slots: int):
        self.start, self.slots, self.keys, self.values = start, slots, [], []

    def see(self, layer: int, q, k, v):
        """The view a block's attention calls with its un-rotated q, k, v (B, H, T, d): what it adds, or None."""
        self.keys.append(k[:, :, self.start:self.start + self.slots])
        self.values.append(v[:, :, self.start:self.start + self.slots])
        return None


class Pinned:
    """A training window's view of a captured header: mask (B, T, slots), has (B, T)."""

    def __init__(self, capture: Capture, mask: torch.Tensor, has: torch.Tensor):
        self.capture, self.mask, self.has = capture, mask, has

    def see(self, layer: int, q, k, v):
        return attend_header(q, self.capture.keys[layer], self.capture.values[layer], self.mask, self.has)


def window_view(slots: int, pin_len: torch.Tensor, visible: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mask (B, T, slots), has (B, T)) of a training window: visible characters see the first pin_len slots."""
    has = visible & (pin_len[:, None] > 0)
    mask = torch.arange(slots, device=pin_len.device)[None, None, :] < pin_len[:, None, None]
    mask = mask & has[:, :, None]
    mask[..., 0] |= ~has  # a row of the mask may not be empty; attend_header zeroes what it gives
    return mask, has


class Chunk:
    """A chunk read against a state (val scoring, the reference sampler): the header slots
    kept in the state (buffer (L, B, H, slots, d)) and the chunk's own characters as keys,
    in one mask; after each layer the buffer holds what the chunk leaves in it."""

    def __init__(self, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, has: torch.Tensor,
                 gather: torch.Tensor):
        self.keys, self.values, self.mask, self.has, self.gather = keys, values, mask, has, gather

    def see(self, layer: int, q, k, v):
        B, H, T, d = k.shape
        keys = torch.cat([self.keys[layer, :B].to(k.dtype), k], 2)
        values = torch.cat([self.values[layer, :B].to(v.dtype), v], 2)
        y = attend_header(q, keys, values, self.mask, self.has)
        at = self.gather[:, None, :, None].expand(B, H, self.gather.shape[1], d)
        self.keys[layer, :B] = keys.gather(2, at).to(self.keys.dtype)
        self.values[layer, :B] = values.gather(2, at).to(self.values.dtype)
        return y


def plan_chunk(config, idx: torch.Tensor, meta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run the matcher over a chunk idx (B, T), updating meta (4, B) in place; returns the mask
    (B, T, slots + T) over [the state's slots, the chunk's characters], has (B, T), and gather
    (B, slots): where each slot's key is after the chunk."""
    P = config.header_slots
    B, T = idx.shape
    rows = idx.tolist()
    mask = torch.zeros(B, T, P + T, dtype=torch.bool)
    has = torch.zeros(B, T, dtype=torch.bool)
    gather = torch.zeros(B, P, dtype=torch.long)
    for b in range(B):
        matcher = HeaderMatcher(config, meta[:, b].tolist())
        source = list(range(P))  # slot -> its key's index in [slots, chunk]
        seen, last = None, None
        for t, c in enumerate(rows[b]):
            slot = matcher.feed(c)
            if slot >= 0:
                source[slot], seen = P + t, None
            pinned = matcher.meta[PINNED]
            if pinned:
                if seen is None or last != pinned:
                    seen, last = torch.zeros(P + T, dtype=torch.bool), pinned
                    seen[source[:pinned]] = True
                mask[b, t], has[b, t] = seen, True
            else:
                mask[b, t, 0] = True
        meta[:, b] = torch.tensor(matcher.meta)
        gather[b] = torch.tensor(source)
    return mask.to(idx.device), has.to(idx.device), gather.to(idx.device)


class HeaderWindows:
    """Training windows in char-rnn's stream layout (data.StreamBatches), each with its header:
    batch(i) -> ((ids, header, pin_len, visible), targets)."""

    def __init__(self, docs: list[torch.Tensor], batch_size: int, seq_length: int, config, lead: torch.Tensor):
        P = config.header_slots
        ids = torch.cat(docs)
        self.stream = StreamBatches(ids, batch_size, seq_length)
        n = self.stream.n_batches * batch_size * seq_length
        lengths = torch.tensor([len(d) for d in docs])
        doc_of = torch.repeat_interleave(torch.arange(len(docs)), lengths)
        offset = torch.arange(len(ids)) - torch.repeat_interleave(torch.cumsum(lengths, 0) - lengths, lengths)
        width = len(lead) + len(HEAD) + P
        self.segments = torch.zeros(len(docs), width, dtype=torch.long)
        self.pin_len = torch.zeros(len(docs), dtype=torch.long)
        for i, d in enumerate(docs):
            seg = torch.cat([lead, d[:len(HEAD) + P]])
            self.segments[i, :len(seg)] = seg
            matcher = HeaderMatcher(config, [0] * META_ROWS)
            for c in seg.tolist():
                matcher.feed(c)
                if matcher.meta[PINNED]:
                    break
            self.pin_len[i] = matcher.meta[PINNED]
        # A character sees its header from the one that completes HEADER_END on.
        seen_from = len(HEAD) + self.pin_len - 1
        visible = (offset >= seen_from[doc_of]) & (self.pin_len[doc_of] > 0)
        self.doc = doc_of[:n].view(batch_size, -1)
        self.visible = visible[:n].view(batch_size, -1)
        self.start = len(lead) + len(HEAD)  # where the header's slots begin in a segment

    def __len__(self) -> int:
        return len(self.stream)

    def rows(self, rows) -> None:
        """Keep these streams only (this rank's, under torchrun)."""
        self.stream.rows(rows)
        self.doc, self.visible = self.doc[rows], self.visible[rows]

    def to(self, device: torch.device) -> None:
        self.stream.to(device)
        self.segments, self.pin_len = self.segments.to(device), self.pin_len.to(device)
        self.doc, self.visible = self.doc.to(device), self.visible.to(device)

    def batch(self, i: int):
        x, y = self.stream.batch(i)
        cols = slice(i * self.stream.seq_length, (i + 1) * self.stream.seq_length)
        doc, visible = self.doc[:, cols], self.visible[:, cols]
        # A window holds the end of one posting and the start of the next, at most (postings are
        # longer than windows): it carries the header of the one with more characters that see theirs.
        first, last = doc[:, 0], doc[:, -1]
        seeing = lambda d: (visible & (doc == d[:, None])).sum(1)  # noqa: E731
        chosen = torch.where(seeing(last) > seeing(first), last, first)
        visible = visible & (doc == chosen[:, None])
        return (x, self.segments[chosen], self.pin_len[chosen], visible), y
