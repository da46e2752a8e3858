"""charlm: a character-level RNN language model (char-rnn in PyTorch) and its sampler.

Public API for other packages (the webapp uses only this):
    Generator, SampleSettings  -- load a checkpoint once, stream or batch-generate text
    CharLMError and its kinds (CheckpointError, SettingsError, VocabError) -- errors with user-facing messages
"""

from .errors import CharLMError, CheckpointError, SettingsError, VocabError
from .generate import Generator, SampleSettings

__all__ = ["Generator", "SampleSettings", "CharLMError", "CheckpointError", "SettingsError", "VocabError"]
