"""charlm: a character-level RNN language model (char-rnn in PyTorch) and its sampler.

Public API for other packages (the webapp uses only this):
    Generator, SampleSettings  -- load a checkpoint once, stream or batch-generate text
    epoch_checkpoints(run_dir) -> [(epoch, val_loss, path)] of a run folder, by epoch
    frame(text) -> (title, company, location) of a posting, from its h1/h2/h3, or None
    CharLMError and its kinds (CheckpointError, SettingsError, VocabError) -- errors with user-facing messages
"""

from .checkpoint import epoch_checkpoints
from .errors import CharLMError, CheckpointError, SettingsError, VocabError
from .generate import Generator, SampleSettings
from .metrics import frame

__all__ = ["Generator", "SampleSettings", "epoch_checkpoints", "frame", "CharLMError", "CheckpointError", "SettingsError", "VocabError"]
