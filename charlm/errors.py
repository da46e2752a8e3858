"""One exception hierarchy for charlm, and the one place CLI errors become messages.

Every error a user can cause (a bad path, a corpus too small, a corrupt checkpoint,
a prime the model cannot read) is a CharLMError with a message fit to print as is.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import sys
from typing import Callable


class CharLMError(Exception):
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


def os_error_message(exc: OSError) -> str:
    """'cannot write /x/y: Not a directory', from any OSError a path caused."""
    if exc.errno in (errno.EEXIST, errno.ENOTDIR) and exc.filename:
        return f"cannot make the folders of {exc.filename}: a file stands where a folder must be"
    where = f" {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{':' if where else ''}{where}"


def run_cli(main: Callable[[], int | None]) -> None:
    """Run a CLI entry point: user errors print one line and exit 2, Ctrl-C exits 130.

    An OSError is the user's too (a folder that cannot be made, a file that cannot be
    written); a closed stdout (`| head`) ends the program quietly."""
    try:
        code = main()
    except CharLMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except BrokenPipeError:
        sys.stdout = None  # nothing more can be written; do not let the final flush fail too
        sys.exit(0)
    except OSError as exc:
        print(f"error: {os_error_message(exc)}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code or 0)
