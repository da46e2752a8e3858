"""The loaded models: one charlm.BatchServer per checkpoint, shared by all its requests.

Bounded twice: at most `models` of them, and at most `memory_mb` of their weights and
rows' state (BatchServer.footprint: the 3x512 demo with 16 rows holds 31 MB, the
transformer demo with its 16 key/value caches 51 MB). Past either bound the least recently
used idle model goes first; one still sampling is never dropped, so a burst may exceed
the bounds until it ends. A checkpoint is read from disk once while it stays in the pool.
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


MODELS = 4  # models kept loaded at most, by default
MEMORY_MB = 1024  # megabytes of their weights and state at most, by default


class ModelPool:
    def __init__(self, models: int = MODELS, rows: int = BatchServer.ROWS, queue_size: int = BatchServer.QUEUE,
                 precision: str | None = None, flush_seconds: float = 0.05, threads: int | None = None,
                 memory_mb: float = MEMORY_MB):
        self.threads = threads
        self.models, self.rows, self.queue_size, self.precision = models, rows, queue_size, precision
        self.memory = memory_mb * 2**20
        self.flush_seconds = flush_seconds
        self._models: OrderedDict[tuple[Path, int], BatchServer] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[tuple, threading.Lock] = {}  # a lock per checkpoint being loaded

    def server(self, info: CheckpointInfo) -> BatchServer:
        """The sampling loop of a checkpoint's model; raises charlm.CheckpointError for a damaged file."""
        key = (info.path, info.path.stat().st_mtime_ns)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            loading = self._loading.setdefault(key, threading.Lock())
        # One load a checkpoint: the requests that arrive meanwhile wait for it rather than load
        # copies of their own (16 at once held 16 GB). Other checkpoints' requests go on.
        with loading:
            with self._lock:
                if key in self._models:  # loaded meanwhile by another request
                    return self._models[key]
            gen = Generator.from_checkpoint(info.path, precision=self.precision, threads=self.threads)
            with self._lock:
                server = self._models[key] = BatchServer(gen, self.rows, self.queue_size, self.flush_seconds)
                self._loading.pop(key, None)
                self._evict(keep=key)
        return server

    def _evict(self, keep) -> None:
        """Drop idle models, least recently used first, until both bounds hold. Called under the lock."""
        for k in [k for k, s in self._models.items() if k != keep and s.load() == (0, 0)]:
            if len(self._models) <= self.models and self.footprint() <= self.memory:
                break
            self._models.pop(k).stop()

    def footprint(self) -> int:
        """Bytes the loaded models hold (BatchServer.footprint, summed)."""
        return sum(s.footprint() for s in self._models.values())

    def loaded(self, info: CheckpointInfo) -> bool:
        """Whether the checkpoint's model is in the pool now (its next posting starts without loading it)."""
        try:
            key = (info.path, info.path.stat().st_mtime_ns)
        except OSError:
            return False
        with self._lock:
            return key in self._models
