"""Busy neighbours for load measurements: `with busy_processes(2): ...`.

Each is a separate Python process spinning on one core, as a user's other work (a build,
a training run) would be. They stop when the block ends, and by themselves after
`limit` seconds in case the measuring process dies without ending the block.
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from typing import Iterator

MAX_BUSY = 64
SPIN = "import time\nend = time.monotonic() + {limit}\nwhile time.monotonic() < end:\n    pass\n"


@contextmanager
def busy_processes(n: int, limit: float = 3600.0) -> Iterator[list[subprocess.Popen]]:
    if not 0 <= n <= MAX_BUSY:
        raise ValueError(f"busy processes must be 0-{MAX_BUSY}, got {n}")
    procs = [subprocess.Popen([sys.executable, "-c", SPIN.format(limit=float(limit))],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(n)]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()
