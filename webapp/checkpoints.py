"""The checkpoints the server offers, found by scanning its checkpoints folder, and their runs' history.

Ids are made here ("<run>:<file stem>") and requests only ever look them up in this
list: no request parameter becomes part of a file path. The loaded models are
model_pool.py's.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from charlm import (LATEST, METRICS, CharLMError, best_checkpoint, epoch_checkpoints, model_config, origin,
                    origin_in, read_metrics)
from flask import current_app

# A run logs every few seconds while it trains (charlm.train --log-every) and says when it ends; one
# whose log is older than this without an end was killed.
LIVE_SECONDS = 120


@dataclass(frozen=True)
class CheckpointInfo:
    id: str
    run: str
    epoch: int
    val_loss: float | None  # None: a run's latest state, stopped before any val loss was taken
    path: Path = field(repr=False)
    best: bool = False
    # A run's latest.pt, offered when training went on past its last epoch checkpoint
    # (a run stopped by its time budget, by Ctrl-C, or still training): `progress` is
    # how far into `epoch` it got.
    latest: bool = False
    progress: float | None = None
    family: str = ""  # the model's family and size, "LSTM 3x512" ("" when its file cannot be read)
    family_name: str = ""  # its family's name in the registry (charlm's FAMILIES), "lstm"

    @property
    def label(self) -> str:
        """What a reader calls it: "epoch 19, val 0.775"."""
        val = f"val {self.val_loss:.3f}" if self.val_loss is not None else "no val loss yet"
        if self.latest:
            return f"latest: {self.progress:.0%} into epoch {self.epoch}, {val}"
        return f"epoch {self.epoch}, {val}"

    def public(self) -> dict:
        return {"id": self.id, "run": self.run, "model": self.family, "epoch": self.epoch, "val_loss": self.val_loss,
                "best": self.best, "latest": self.latest, "label": self.label}


@dataclass
class RunInfo:
    name: str
    checkpoints: list[CheckpointInfo]
    epochs: list[dict]           # {"epoch", "train_loss", "val_loss"} per finished epoch
    steps: list[tuple[float, float]]  # (epoch progress, train loss) as logged
    live: bool = False  # training now: its log has no end and grew in the last LIVE_SECONDS
    origin: dict | None = None  # a fine-tune's lineage (charlm's runs.origin_row)

    @property
    def family(self) -> str:
        return self.checkpoints[0].family if self.checkpoints else ""


def get_checkpoints() -> "CheckpointIndex":
    """The app's checkpoint index (made once by create_app), as flaskr's get_db gives the database."""
    return current_app.extensions["checkpoints"]


class CheckpointIndex:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _run_dirs(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def scan(self) -> list[CheckpointInfo]:
        """Every per-epoch checkpoint, grouped by run and ordered by epoch; rescanned on each call."""
        found = []
        for run_dir in self._run_dirs():
            ckpts = epoch_checkpoints(run_dir)
            best = best_checkpoint(ckpts)
            latest = latest_state(run_dir, ckpts[-1][0] if ckpts else 0)
            kind, name = family(best or (latest.path if latest else None))
            for epoch, val, path in ckpts:
                found.append(CheckpointInfo(f"{run_dir.name}:{path.stem}", run_dir.name, epoch, val, path, path == best,
                                            family=kind, family_name=name))
            if latest is not None:
                found.append(replace(latest, family=kind, family_name=name))
        return found

    def get(self, checkpoint_id: str) -> CheckpointInfo | None:
        return next((c for c in self.scan() if c.id == checkpoint_id), None)

    def runs(self) -> list[RunInfo]:
        by_run: dict[str, list[CheckpointInfo]] = {}
        for c in self.scan():
            by_run.setdefault(c.run, []).append(c)
        runs = []
        for run_dir in self._run_dirs():
            log, rows = run_dir / METRICS, read_metrics(run_dir)
            epochs, steps = read_history(rows)
            if by_run.get(run_dir.name) or epochs or steps:
                live = not ended(rows) and log.is_file() and time.time() - log.stat().st_mtime < LIVE_SECONDS
                runs.append(RunInfo(run_dir.name, by_run.get(run_dir.name, []), epochs, steps, live, origin_in(rows)))
        return runs


def latest_state(run_dir: Path, last_epoch: int) -> CheckpointInfo | None:
    """The run's latest.pt when its metrics log shows training past the last epoch checkpoint."""
    path = run_dir / LATEST
    if not path.is_file():
        return None
    where = None  # (epoch, progress) of the last logged point, and its val loss if it was a budget stop
    val = None
    for row in read_metrics(run_dir):
        if _numbers(row, "progress", "epoch"):
            where = (row["epoch"], row["progress"])
            val = row["loss"] if row.get("budget_stop") and _numbers(row, "loss") else None
    if where is None or where[1] <= last_epoch:
        return None
    epoch, progress = where
    return CheckpointInfo(f"{run_dir.name}:latest", run_dir.name, int(epoch), val, path,
                          latest=True, progress=max(0.0, min(1.0, progress - (epoch - 1))))


def family(path: Path | None) -> tuple[str, str]:
    """("LSTM 3x512", "lstm"): a run's checkpoint file's family and size, and its family's name
    (read once per version of the file; empty when it cannot be read)."""
    try:
        return _family(str(path), path.stat().st_mtime_ns) if path else ("", "")
    except OSError:
        return "", ""


@functools.lru_cache(maxsize=256)
def _family(path: str, mtime_ns: int) -> tuple[str, str]:
    try:
        start = origin(path)  # a fine-tune's "epoch 1" continues a longer run: say whose
        config = model_config(path)
        return config.describe() + (f", {start}" if start else ""), config.model
    except CharLMError:
        return "", ""


def ended(rows: list[dict]) -> bool:
    """Whether a run's log (its rows) ends with the row charlm.train writes when a run stops."""
    return bool(rows) and rows[-1].get("type") == "end"


def _numbers(row: dict, *keys: str) -> bool:
    """A row written by hand or by an older version may lack a field or hold something else."""
    return all(isinstance(row.get(k), (int, float)) and not isinstance(row.get(k), bool) for k in keys)


def read_history(rows: list[dict]) -> tuple[list[dict], list[tuple[float, float]]]:
    """Per-epoch losses and the logged train-loss points of a run's metrics.jsonl rows."""
    epochs: dict[int, dict] = {}
    steps = []
    for row in rows:
        if row.get("type") == "train" and _numbers(row, "progress", "loss"):
            steps.append((row["progress"], row["loss"]))
        elif row.get("type") == "val" and _numbers(row, "epoch", "train_loss", "loss"):
            epochs[row["epoch"]] = {"epoch": row["epoch"], "train_loss": row["train_loss"], "val_loss": row["loss"]}
    return [epochs[e] for e in sorted(epochs)], steps
