"""The transformer family: a decoder-only, causal, character-level transformer.

nanoGPT's block (pre-norm attention and a 4x GELU MLP, the output layer tied to the
embedding), with rotary positions instead of learned ones: attention then depends on how
far apart two characters are, not where they sit, so sampling can run past the training
window with a rolling key/value cache. Every character attends to itself and the
block_size - 1 characters before it, in training (a window of block_size) and in sampling
(the cache keeps the last block_size keys of each row).

The model's state, as the trainer, the val scoring and the sampler pass it around like an
LSTM's, is that cache: (keys, values, count) with keys and values (layers, rows, heads,
block_size, head width) and count (1, rows) the characters each row has read. Given a
state, forward reads a chunk of any length against it, updates it in place and returns
it; so scoring the val split in chunks gives every character the context it has when
sampled. Given targets (training), it runs plain causal attention on the window and
carries no state.
"""

from __future__ import annotations

import math
import re
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from . import header

KVState = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def rotary_angles(positions: torch.Tensor, head_width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of each position's rotation, (..., head_width / 2), computed in float64 so that
    position 10,000 turns as precisely as position 10 and training's table matches sampling's."""
    inv_freq = 1.0 / (10000 ** (torch.arange(0, head_width, 2, dtype=torch.float64, device=positions.device) / head_width))
    angles = positions.to(torch.float64)[..., None] * inv_freq
    return angles.cos().float(), angles.sin().float()


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x (B, heads, T, d) turned by its positions' angles; cos/sin broadcast to (B, 1, T, d/2)."""
    x1, x2 = x.float().chunk(2, dim=-1)
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).type_as(x)


class SelfAttention(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float, header: bool = False):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.proj = nn.Linear(width, width, bias=False)
        self.resid_drop = nn.Dropout(dropout)
        if header:  # how much each head takes from the pinned header (header.py); zero: none yet
            self.header_gate = nn.Parameter(torch.zeros(heads))

    def gate(self) -> torch.Tensor:
        """Each head's share of the header, the parameter times header.GATE_GAIN."""
        return self.header_gate * header.GATE_GAIN

    def forward(self, x: torch.Tensor, cos, sin, cache: tuple | None, header=None) -> torch.Tensor:
        """header: None, or the layer's view of the posting's header (header.py), given the
        un-rotated q, k and v; what it returns is added through the gate."""
        B, T, C = x.shape
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in self.qkv(x).split(C, dim=2))
        seen = header(q, k, v) if header is not None else None
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        if cache is None:  # training: the window itself, causal
            y = attend_window(q, k, v, self.dropout if self.training else 0.0)
        else:
            y = attend_cached(q, k, v, *cache)
        if seen is not None:
            y = y + self.gate().view(1, -1, 1, 1).to(y.dtype) * seen
        return self.resid_drop(self.proj(y.transpose(1, 2).reshape(B, T, C)))


# On a CPU in bfloat16, torch's fused causal attention (forward and backward) ran 2.4-4x slower
# than the three plain products for windows of 64 and 128, and about even from 256 (one Zen 4
# core, BENCHMARKS.md, "Attention in a short window"): windows up to this long take the products.
EXPLICIT_MAX_WINDOW = 128


def attend_window(q, k, v, dropout: float) -> torch.Tensor:
    """Causal attention of a training window on itself, q, k, v (B, heads, T, d): torch's fused
    kernel (flash attention on CUDA), or on a CPU in bfloat16 for a short window the plain
    products, the softmax in float32."""
    if q.device.type != "cpu" or q.dtype != torch.bfloat16 or q.shape[2] > EXPLICIT_MAX_WINDOW:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=dropout)
    return causal_products(q, k, v, dropout)


def causal_products(q, k, v, dropout: float = 0.0) -> torch.Tensor:
    """Causal attention of a window on itself by the three plain products, the softmax in float32."""
    T = q.shape[2]
    scores = (q @ k.transpose(-2, -1)).float() * q.shape[-1] ** -0.5
    future = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1)
    weights = scores.masked_fill(future, float("-inf")).softmax(-1)
    if dropout:
        weights = F.dropout(weights, dropout)
    return weights.to(v.dtype) @ v


def attend_cached(q, k, v, keys: torch.Tensor, values: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
    """Attention of T new characters over the ring of the last R keys of each row (R = the window)
    and over each other, each seeing itself and the R - 1 characters before it; then the new
    keys go into the ring. keys/values (B, heads, R, d) of one layer, count (B,) before them."""
    B, H, T, d = q.shape
    R = keys.shape[2]
    if T == 1:
        # One character (sampling): write it first, then the whole ring is its window; the
        # order of keys does not matter to attention, so the ring is read where it lies.
        slot = (count % R).view(B, 1, 1, 1).expand(B, H, 1, d)
        keys.scatter_(2, slot, k.float())
        values.scatter_(2, slot, v.float())
        valid = torch.arange(R, device=q.device)[None, :] <= count[:, None]  # filled slots
        return F.scaled_dot_product_attention(q, keys.type_as(q), values.type_as(q), attn_mask=valid[:, None, None, :])
    # A chunk (a prime, or val text): the ring in time order, oldest first, then the chunk.
    order = (count[:, None] + torch.arange(R, device=q.device)) % R  # (B, R)
    gather = order[:, None, :, None].expand(B, H, R, d)
    past_k, past_v = keys.gather(2, gather).type_as(q), values.gather(2, gather).type_as(q)
    i = torch.arange(T, device=q.device)[:, None]
    j = torch.arange(R, device=q.device)[None, :]
    # Past key j is R - j + i characters before query i, and exists once the row has read that many.
    seen_past = (j >= i + 1)[None] & (j[None] >= R - count.clamp(max=R)[:, None, None])
    t = torch.arange(T, device=q.device)[None, :]
    seen_new = (t <= i) & (t > i - R)
    mask = torch.cat([seen_past, seen_new.expand(B, T, T)], dim=2)[:, None]
    y = F.scaled_dot_product_attention(q, torch.cat([past_k, k], 2), torch.cat([past_v, v], 2), attn_mask=mask)
    keep = min(T, R)
    slots = ((count[:, None] + torch.arange(T - keep, T, device=q.device)) % R)[:, None, :, None].expand(B, H, keep, d)
    keys.scatter_(2, slots, k[:, :, T - keep:].float())
    values.scatter_(2, slots, v[:, :, T - keep:].float())
    return y


class Block(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float, header: bool = False):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, bias=False)
        self.attn = SelfAttention(width, heads, dropout, header)
        self.norm2 = nn.LayerNorm(width, bias=False)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width, bias=False), nn.GELU(),
                                 nn.Linear(4 * width, width, bias=False), nn.Dropout(dropout))

    def forward(self, x, cos, sin, cache, header=None):
        x = x + self.attn(self.norm1(x), cos, sin, cache, header)
        return x + self.mlp(self.norm2(x))


class CharTransformer(nn.Module):
    """ModelConfig's rnn_size is the width, num_layers the blocks, n_head the heads, block_size the window."""

    LAYER_KEY = re.compile(r"(?<=^blocks\.)\d+(?=\.)")  # blocks.3.attn.qkv.weight

    def __init__(self, config):
        if config.vocab_size < 1:
            raise ValueError("the model's vocab_size is not set")
        super().__init__()
        self.config = config
        C, L = config.rnn_size, config.num_layers
        self.embed = nn.Embedding(config.vocab_size, C)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(C, config.n_head, config.dropout, config.header_slots > 0) for _ in range(L))
        self.norm = nn.LayerNorm(C, bias=False)
        self.head = nn.Linear(C, config.vocab_size, bias=False)
        self.head.weight = self.embed.weight  # tied, as in nanoGPT: fewer parameters, no loss in quality
        self.apply(self._init)
        for name, p in self.named_parameters():  # residual projections scaled down by depth (GPT-2)
            if name.endswith(("attn.proj.weight", "mlp.2.weight")):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * L))
        cos, sin = rotary_angles(torch.arange(config.block_size), C // config.n_head)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        self._train_loss = self._loss

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, 0.0, 0.02)

    def init_state(self, batch_size: int, device: torch.device | str = "cpu") -> KVState:
        """(keys, values, count), and with a header in view its slots' keys and values and the
        matcher's numbers (header.py): every part with the rows on its second axis."""
        c = self.config
        shape = (c.num_layers, batch_size, c.n_head, c.block_size, c.rnn_size // c.n_head)
        state = (torch.zeros(shape, device=device), torch.zeros(shape, device=device),
                 torch.zeros(1, batch_size, dtype=torch.long, device=device))
        if not c.header_slots:
            return state
        slots = shape[:3] + (c.header_slots, shape[4])
        return state + (torch.zeros(slots, device=device), torch.zeros(slots, device=device),
                        torch.zeros(header.META_ROWS, batch_size, dtype=torch.long, device=device))

    def forward(self, idx: torch.Tensor, state: KVState | None = None,
                targets: torch.Tensor | None = None) -> tuple[torch.Tensor, KVState | None]:
        """idx (B, T) -> logits (B, T, V) and the state after them; with targets, the mean
        cross-entropy of the window in place of the logits, and no state (training)."""
        if targets is not None:
            return self._train_loss(idx, targets), None
        if state is None:
            state = self.init_state(idx.shape[0], idx.device)
        keys, values, count = state[:3]
        count = count[0]
        T = idx.shape[1]
        positions = count[:, None] + torch.arange(T, device=idx.device)
        cos, sin = (t[:, None] for t in rotary_angles(positions, self.config.rnn_size // self.config.n_head))
        view = None
        if self.config.header_slots:
            view = header.Chunk(state[3], state[4], *header.plan_chunk(self.config, idx, state[5]))
        x = self.drop(self.embed(idx))
        for layer, block in enumerate(self.blocks):
            x = block(x, cos, sin, (keys[layer], values[layer], count), view and partial(view.see, layer))
        count += T  # in place: the state's own counter
        return self.head(self.norm(x)), state

    def _window(self, ids: torch.Tensor, view=None) -> torch.Tensor:
        """The last hidden states of training windows ids (B, T), causal, each from position 0."""
        T = ids.shape[1]
        cos, sin = ((self.cos[:T], self.sin[:T]) if T <= len(self.cos) else
                    (t.to(ids.device) for t in rotary_angles(torch.arange(T), self.config.rnn_size // self.config.n_head)))
        x = self.drop(self.embed(ids))
        for layer, block in enumerate(self.blocks):
            x = block(x, cos, sin, None, view and partial(view.see, layer))
        return x

    def _loss(self, idx, targets: torch.Tensor) -> torch.Tensor:
        """idx: a window (B, T), or with a header in view (ids, segment, pin_len, visible) as
        header.HeaderWindows batches them: the segment read on its own first, its keys kept."""
        view = None
        if isinstance(idx, tuple):
            idx, segment, pin_len, visible = idx
            capture = header.Capture(segment.shape[1] - self.config.header_slots, self.config.header_slots)
            self._window(segment, capture)
            view = header.Pinned(capture, *header.window_view(self.config.header_slots, pin_len, visible))
        if idx.shape[1] > self.config.block_size:
            raise ValueError(f"a training window of {idx.shape[1]} is longer than the model's block_size "
                             f"{self.config.block_size}")
        logits = self.head(self.norm(self._window(idx, view)))
        return F.cross_entropy(logits.float().flatten(0, 1), targets.flatten())

    def compile_training(self) -> None:
        """The whole training forward and loss through torch.compile (no recurrence to unroll here)."""
        self._train_loss = torch.compile(self._loss)
