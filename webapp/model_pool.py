"""The loaded models: one charlm.BatchServer per checkpoint, shared by all its requests.

Least recently used first out, never one that is still sampling, so a checkpoint is read
from disk once while it is in use.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from charlm import BatchServer, Generator
from flask import current_app

from .checkpoints import CheckpointInfo


def get_models() -> "ModelPool":
    """The app's model pool (made once by create_app)."""
    return current_app.extensions["models"]


class ModelPool:
    def __init__(self, cache_size: int = 4, rows: int = BatchServer.ROWS, queue_size: int = BatchServer.QUEUE,
                 precision: str | None = None, flush_seconds: float = 0.05, threads: int | None = None):
        self.threads = threads
        self.cache_size, self.rows, self.queue_size, self.precision = cache_size, rows, queue_size, precision
        self.flush_seconds = flush_seconds
        self._models: OrderedDict[tuple[Path, int], BatchServer] = OrderedDict()
        self._lock = threading.Lock()

    def server(self, info: CheckpointInfo) -> BatchServer:
        """The sampling loop of a checkpoint's model; raises charlm.CheckpointError for a damaged file."""
        key = (info.path, info.path.stat().st_mtime_ns)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        gen = Generator.from_checkpoint(info.path, precision=self.precision, threads=self.threads)  # outside the lock: it takes a moment
        with self._lock:
            if key in self._models:  # loaded meanwhile by another request
                return self._models[key]
            server = self._models[key] = BatchServer(gen, self.rows, self.queue_size, self.flush_seconds)
            idle = [k for k, s in self._models.items() if k != key and s.load() == (0, 0)]
            for k in idle[:max(0, len(self._models) - self.cache_size)]:
                self._models.pop(k).stop()
        return server
