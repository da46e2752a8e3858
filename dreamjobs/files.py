"""Atomic file writes: a temporary file beside the target, then a rename, so no reader ever
sees half a file and a crash leaves the old file whole."""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

TEMP_GLOB = ".*.tmp"  # what an interrupted write leaves behind; cleaned up by those who own the folder


@contextmanager
def atomic_file(path: str | Path, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file to write `path` through ("w" text as UTF-8 with \\n, or "wb");
    on leaving the block it is flushed to disk and renamed over path, or removed on error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A plain open() (not mkstemp) so the file gets the usual umask permissions.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        text = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
        with open(tmp, mode, **text) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, text: str) -> None:
    with atomic_file(path) as fh:
        fh.write(text)
