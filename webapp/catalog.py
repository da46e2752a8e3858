"""The checkpoints the server offers, found by scanning its checkpoints folder.

Ids are made here ("<run>:<file stem>") and requests only ever look them up in this
list: no request parameter becomes part of a file path. Loaded models are cached
(least recently used first out; never one that is still sampling), so a checkpoint is
read from disk once, and each has one charlm.BatchServer that all its requests share.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from charlm import BatchServer, Generator, epoch_checkpoints


@dataclass(frozen=True)
class CheckpointInfo:
    id: str
    run: str
    epoch: int
    val_loss: float
    path: Path = field(repr=False)
    best: bool = False

    def public(self) -> dict:
        return {"id": self.id, "run": self.run, "epoch": self.epoch, "val_loss": self.val_loss, "best": self.best}


@dataclass
class RunInfo:
    name: str
    checkpoints: list[CheckpointInfo]
    epochs: list[dict]           # {"epoch", "train_loss", "val_loss"} per finished epoch
    steps: list[tuple[float, float]]  # (epoch progress, train loss) as logged


class Catalog:
    def __init__(self, root: str | Path, cache_size: int = 4, rows: int = 16, queue_size: int = 16,
                 precision: str | None = None, flush_seconds: float = 0.05):
        self.root = Path(root)
        self.cache_size, self.rows, self.queue_size, self.precision = cache_size, rows, queue_size, precision
        self.flush_seconds = flush_seconds
        self._models: OrderedDict[tuple[Path, int], BatchServer] = OrderedDict()
        self._lock = threading.Lock()

    def _run_dirs(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def scan(self) -> list[CheckpointInfo]:
        """Every per-epoch checkpoint, grouped by run and ordered by epoch; rescanned on each call."""
        found = []
        for run_dir in self._run_dirs():
            ckpts = epoch_checkpoints(run_dir)
            if not ckpts:
                continue
            best = min(ckpts, key=lambda c: (c[1], c[0]))[2]
            for epoch, val, path in ckpts:
                found.append(CheckpointInfo(f"{run_dir.name}:{path.stem}", run_dir.name, epoch, val, path, path == best))
        return found

    def get(self, checkpoint_id: str) -> CheckpointInfo | None:
        return next((c for c in self.scan() if c.id == checkpoint_id), None)

    def server(self, info: CheckpointInfo) -> BatchServer:
        """The sampling loop of a checkpoint's model; raises charlm.CheckpointError for a damaged file."""
        key = (info.path, info.path.stat().st_mtime_ns)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        gen = Generator.from_checkpoint(info.path, precision=self.precision)  # outside the lock: it takes a moment
        with self._lock:
            if key in self._models:  # loaded meanwhile by another request
                return self._models[key]
            server = self._models[key] = BatchServer(gen, self.rows, self.queue_size, self.flush_seconds)
            idle = [k for k, s in self._models.items() if k != key and s.load() == (0, 0)]
            for k in idle[:max(0, len(self._models) - self.cache_size)]:
                self._models.pop(k).stop()
        return server

    def runs(self) -> list[RunInfo]:
        by_run: dict[str, list[CheckpointInfo]] = {}
        for c in self.scan():
            by_run.setdefault(c.run, []).append(c)
        runs = []
        for run_dir in self._run_dirs():
            epochs, steps = read_history(run_dir / "metrics.jsonl")
            if by_run.get(run_dir.name) or epochs:
                runs.append(RunInfo(run_dir.name, by_run.get(run_dir.name, []), epochs, steps))
        return runs


def read_history(path: Path) -> tuple[list[dict], list[tuple[float, float]]]:
    """Per-epoch losses and the logged train-loss points of a run's metrics.jsonl (empty if absent)."""
    epochs: dict[int, dict] = {}
    steps = []
    if not path.is_file():
        return [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short while training was killed
        if row.get("type") == "train":
            steps.append((row.get("progress", 0.0), row["loss"]))
        elif row.get("type") == "val" and "train_loss" in row:
            epochs[row["epoch"]] = {"epoch": row["epoch"], "train_loss": row["train_loss"], "val_loss": row["loss"]}
    return [epochs[e] for e in sorted(epochs)], steps
