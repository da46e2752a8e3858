"""charlm: character-level language models (char-rnn's LSTM, and a causal transformer) and their sampler.

The package has three rooms over a shared floor, and the CLIs at the top:
    models/ data.py checkpoint.py runs.py loss.py copies.py errors.py   what every room uses
    training/   the trainer, its recipes, objective and torchrun plumbing
    sampling/   the generator, the batched server, the steppers, the guards and the C kernel
    quality/    measures of postings: well-formed, coherent frame, words known, copies, realism
    train.py sample.py evaluate.py bench.py export.py plot.py   the CLIs (python -m charlm.X)

Public API for other packages (the webapp uses only this):
    Generator, SampleSettings              -- load a checkpoint once, stream or batch-generate text
    new_seed, MAX_SEED, check_fields       -- a random seed, and the check of title/company/location
    BatchServer, ServerBusy                -- one sampling loop that serves many requests at once
    TEMPERATURE_RANGE, POSTING_LENGTH, MAX_FIELD, PRECISIONS, DEFAULT_PRECISION
                                           -- the bounds and defaults the gallery and the CLIs share
    native_threads()                       -- the most threads a sampling step may use here
    epoch_checkpoints, best_checkpoint, read_metrics, LATEST, METRICS -- a run folder's files
    model_config(path)                     -- a checkpoint's ModelConfig (.describe(): "LSTM 3x512"), weights unread
    COPY_LIMIT, CopyFinder, well_formed, coherent_frame, words, vocab_share -- the quality measures
    CharLMError and its kinds (CheckpointError, SettingsError, VocabError) -- errors with user-facing messages
"""

from .checkpoint import model_config, origin
from .copies import COPY_LIMIT
from .errors import CharLMError, CheckpointError, SettingsError, VocabError
from .quality.copies import CopyFinder
from .quality.metrics import coherent_frame, vocab_share, well_formed, words
from .runs import (LATEST, METRICS, best_checkpoint, epoch_checkpoints, epochs_before, lineage, origin_in, read_metrics,
                   read_realism)
from .sampling.frame import MAX_FIELD
from .sampling.generator import Generator
from .sampling.native import PRECISIONS
from .sampling.native import threads as native_threads
from .sampling.server import BatchServer, ServerBusy
from .sampling.settings import (DEFAULT_PRECISION, MAX_SEED, POSTING_LENGTH, TEMPERATURE_RANGE, SampleSettings,
                                check_fields, check_truncation, new_seed)

__all__ = ["COPY_LIMIT", "DEFAULT_PRECISION", "LATEST", "MAX_FIELD", "MAX_SEED", "METRICS", "POSTING_LENGTH", "PRECISIONS",
           "TEMPERATURE_RANGE", "BatchServer", "CharLMError", "CheckpointError", "CopyFinder", "Generator",
           "SampleSettings", "ServerBusy", "SettingsError", "VocabError", "best_checkpoint", "check_fields", "check_truncation", "coherent_frame",
           "epoch_checkpoints", "epochs_before", "lineage", "model_config", "origin_in", "origin", "native_threads", "new_seed", "read_metrics", "read_realism", "vocab_share", "well_formed", "words"]
