"""charlm: character-level language models (char-rnn's LSTM, and a causal transformer) and their sampler.

Public API for other packages (the webapp uses only this):
    Generator, SampleSettings  -- load a checkpoint once, stream or batch-generate text
    TEMPERATURE_RANGE          -- the temperatures the gallery and the sample CLI offer
    BatchServer, ServerBusy    -- one sampling loop that serves many requests at once (continuous batching)
    epoch_checkpoints(run_dir) -> [(epoch, val_loss, path)] of a run folder, by epoch
    native_threads()           -- the most threads a sampling step may use here (the process's usable cores)
    CharLMError and its kinds (CheckpointError, SettingsError, VocabError) -- errors with user-facing messages
"""

from .errors import CharLMError, CheckpointError, SettingsError, VocabError
from .generate import TEMPERATURE_RANGE, Generator, SampleSettings
from .native import threads as native_threads
from .runs import epoch_checkpoints
from .serving import BatchServer
from .serving import Busy as ServerBusy

__all__ = ["TEMPERATURE_RANGE", "BatchServer", "Generator", "SampleSettings", "ServerBusy", "epoch_checkpoints", "native_threads", "CharLMError", "CheckpointError", "SettingsError", "VocabError"]
