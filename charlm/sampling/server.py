"""Continuous batching: one sampling loop per model serves every request at once.

    server = BatchServer(generator, capacity=16, queue_size=16, flush_seconds=0.02)
    with server.submit(settings) as posting:
        for piece in posting:
            ...

The loop owns one Batch (batch.py). A request joins it at the next step, keeps
its own seed, temperature, prime and guard, and leaves when its posting ends or its
reader closes it (the row is freed at the next step). While every row is taken,
requests wait in a bounded queue; beyond that, submit raises ServerBusy at once. Because a
row's text never depends on its neighbours, a posting served here is the posting
Generator.sample gives for the same settings and seed.
"""

from __future__ import annotations

import atexit
import itertools
import threading
import time
import weakref
from collections import deque
from typing import Iterator

from ..errors import CharLMError
from .generator import Generator, SampleSettings, new_seed



_live: "weakref.WeakSet[BatchServer]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    # A loop thread still inside the C kernel while the interpreter tears down aborts the
    # process ("terminate called without an active exception"): end every loop first.
    for server in list(_live):
        server.stop()


class ServerBusy(CharLMError):
    """Every row and every queue place is taken: try again shortly."""


class Stream:
    """One request's text as the loop writes it: iterate it for pieces, close it when done.

    The loop appends characters without waking the reader and wakes it every
    flush_seconds (and at the end): a thread switch per character per reader would
    take the CPU the batched step needs.
    """

    def __init__(self, server: "BatchServer", key: int, settings: SampleSettings, seed: int):
        self.server, self.key, self.settings, self.seed = server, key, settings, seed
        self.closed = False
        self._pieces: list[str] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._finished = False
        self._error: BaseException | None = None

    def __iter__(self) -> Iterator[str]:
        yield self.settings.prime
        while True:
            self._ready.wait()
            self._ready.clear()
            with self._lock:
                pieces, self._pieces = self._pieces, []
                finished, error = self._finished, self._error
            if pieces:
                yield "".join(pieces)
            if error is not None:
                raise CharLMError(f"sampling failed: {error}") from error
            if finished:
                return

    def text(self) -> str:
        return "".join(self)

    def close(self) -> None:
        """Free the row (or queue place) at the next step; safe to call twice."""
        if not self.closed:
            self.closed = True
            self.server._wake()

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # The loop's side.
    def _write(self, ch: str) -> None:
        with self._lock:
            self._pieces.append(ch)

    def _finish(self, error: BaseException | None = None) -> None:
        with self._lock:
            self._finished, self._error = True, error
        self._ready.set()


class BatchServer:
    ROWS = 16  # postings sampled at once by default: the gallery's rows a model
    QUEUE = 16  # requests that may wait for a row by default

    def __init__(self, generator: Generator, capacity: int = ROWS, queue_size: int = QUEUE,
                 flush_seconds: float = 0.02):
        if capacity < 1 or queue_size < 0 or not flush_seconds >= 0:
            raise CharLMError("capacity must be at least 1, queue_size and flush_seconds at least 0")
        self.generator, self.capacity, self.queue_size = generator, capacity, queue_size
        self.flush_seconds = flush_seconds
        self._batch = generator.batch(capacity)
        self._running: dict[int, Stream] = {}
        self._waiting: deque[Stream] = deque()
        self._keys = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="charlm-batch-server", daemon=True)
        self._thread.start()
        _live.add(self)

    def submit(self, settings: SampleSettings) -> Stream:
        """Queue a posting; raises ServerBusy when rows and queue are full, SettingsError for bad settings."""
        settings.check(self.generator.vocab)
        seed = new_seed() if settings.seed is None else settings.seed
        with self._cond:
            if self._stopped:
                raise CharLMError("the batch server is stopped")
            # A closed posting's row counts as free already; the loop reaps it at its next step.
            taken = sum(not p.closed for p in self._running.values()) + sum(not p.closed for p in self._waiting)
            if taken >= self.capacity + self.queue_size:
                raise ServerBusy(f"all {self.capacity} rows and {self.queue_size} queue places are taken")
            posting = Stream(self, next(self._keys), settings, seed)
            self._waiting.append(posting)
            self._cond.notify()
        return posting

    def footprint(self) -> int:
        """Bytes this server holds: the model's weights, their packed copy and every row's state
        (not the corpus's copy-guard index, which the models trained on one corpus share)."""
        return self.generator.weight_bytes() + self._batch.stepper.state_bytes()

    def load(self) -> tuple[int, int]:
        """(rows sampling, requests waiting) right now."""
        with self._cond:
            return len(self._running), len(self._waiting)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=10)

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify()

    def _admit(self) -> None:
        """Move waiting requests into free rows; drop closed ones. Called under the lock."""
        for key, posting in list(self._running.items()):
            if posting.closed:
                self._batch.remove(key)
                del self._running[key]
        self._waiting = deque(p for p in self._waiting if not p.closed)
        while self._waiting and len(self._running) < self.capacity:
            posting = self._waiting.popleft()
            if self._batch.add(posting.key, posting.settings, posting.seed):
                self._running[posting.key] = posting
            else:
                posting._finish()  # max_length 0: the prime alone

    def _loop(self) -> None:
        try:
            self._serve()
        except BaseException as exc:  # a bug: fail every posting loudly rather than leave readers waiting
            with self._cond:
                self._stopped = True
                for p in list(self._running.values()) + list(self._waiting):
                    p._finish(exc)
            raise

    def _serve(self) -> None:
        last_flush = time.monotonic()
        while True:
            with self._cond:
                while not self._stopped and not self._running and not self._waiting:
                    self._cond.wait()
                if self._stopped:
                    for p in list(self._running.values()) + list(self._waiting):
                        p._finish()
                    return
                self._admit()
                running = dict(self._running)
            # The step itself runs without the lock, so submit() never waits for it.
            for key, ch, done in self._batch.advance():
                posting = running[key]
                posting._write(ch)
                if done:
                    posting._finish()
                    with self._cond:
                        del self._running[key]
            now = time.monotonic()
            if now - last_flush >= self.flush_seconds:
                for posting in running.values():
                    posting._ready.set()
                last_flush = now
