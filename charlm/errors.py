"""One exception hierarchy for charlm.

Every error a user can cause (a bad path, a corpus too small, a corrupt checkpoint,
a prime the model cannot read) is a CharLMError with a message fit to print as is
(dreamjobs/cli.py turns it into one line and exit status 2). Anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

from dreamjobs.cli import UserError


class CharLMError(UserError):
    """An error caused by input, with a message meant for the user."""


class DataError(CharLMError):
    """The corpus is missing, empty, or does not fit the requested layout."""


class CheckpointError(CharLMError):
    """A checkpoint cannot be read, or does not fit what it is used for."""


class VocabError(CharLMError, ValueError):
    """Text holds characters that the model's vocabulary does not."""


class SettingsError(CharLMError, ValueError):
    """A sampling setting is out of range (temperature, length, top-k, prime)."""


class TrainingDiverged(CharLMError):
    """The loss became NaN or exploded; continuing would only waste time."""
