"""The model families and what the trainer, the val scoring and the sampler ask of them.

A family's network is a torch module built from a ModelConfig that answers CharModel:
    forward(idx, state=None, targets=None) -> (logits (B, T, V) or, given targets, the mean loss; state)
    init_state(rows, device)               -> the state of `rows` blank rows
    compile_training()                     -> compile what training runs, where that pays
    LAYER_KEY                              -> a pattern that finds a layer's number in a weight's name
and nothing else is asked of it: a new family is a module here and a record in families.py.
The sampler steps any family through its own forward (sampling/steppers.py); the C
kernel steps LSTMs and transformers on the CPU (sampling/native_lstm.py, native_transformer.py).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Protocol

import torch
from torch import nn

from ..errors import CharLMError
from .config import MODELS, ModelConfig
from .families import FAMILIES, Family, family
from .rnn import CharRNN, State
from .transformer import CharTransformer

assert set(FAMILIES) == set(MODELS)


class CharModel(Protocol):
    """What the trainer, the val scoring and the sampler ask of a family's network."""

    config: ModelConfig
    LAYER_KEY: re.Pattern

    def __call__(self, idx, state=None, targets=None) -> tuple: ...

    def init_state(self, batch_size: int, device: torch.device | str = "cpu"): ...

    def compile_training(self) -> None: ...


def build(config: ModelConfig) -> nn.Module:
    """The network a ModelConfig describes, of its family."""
    return family(config).network(config)


def keep_layers(config: ModelConfig, weights: dict, layers: list[int]) -> tuple[ModelConfig, dict]:
    """A shallower network's config and weights: `layers` of a trained one, renumbered in order
    (--keep-layers). Fine-tuned, a few blocks of a deep transformer sample faster than the whole
    and recover most of its loss in a fraction of its training."""
    if not layers or list(layers) != sorted(set(layers)) or not all(0 <= i < config.num_layers for i in layers):
        raise CharLMError(f"--keep-layers must name distinct layers in increasing order, each from 0 to "
                          f"{config.num_layers - 1} (the checkpoint has {config.num_layers}), got "
                          + ",".join(map(str, layers)))
    where = family(config).network.LAYER_KEY  # finds the layer's number in a weight's name
    kept = {}
    for key, value in weights.items():
        found = where.search(key)
        if found is None:
            kept[key] = value
        elif int(found.group()) in layers:
            kept[where.sub(str(layers.index(int(found.group()))), key, count=1)] = value
    return replace(config, num_layers=len(layers)), kept


def detach_state(state: State | None) -> State | None:
    """Cut the graph between BPTT windows while carrying the values on."""
    if state is None:  # the transformer carries none between training windows
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise CharLMError("--device cuda: no CUDA GPU is available to this torch build; use --device auto or cpu")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise CharLMError("--device mps: Apple's Metal backend is not available here; use --device auto or cpu")
    if name not in ("cpu", "cuda", "mps"):
        raise CharLMError(f"unknown device {name!r}; choose auto, cpu, cuda or mps")
    return torch.device(name)


__all__ = ["FAMILIES", "MODELS", "CharModel", "CharRNN", "CharTransformer", "Family", "ModelConfig", "State", "build",
           "detach_state", "family", "keep_layers", "resolve_device"]
