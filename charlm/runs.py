"""A run folder's conventions, shared by training, export, plotting and the gallery.

    checkpoints/<run>/
        epoch001_val1.0601.pt   one per epoch, named by its validation loss (char-rnn's habit)
        best.pt                 a link to the epoch with the lowest validation loss
        latest.pt               everything needed to resume exactly where the run stopped
        profile.json.gz         the corpus's words and lengths, for sampling (profile.py)
        realism.json            how real its best checkpoint's postings read (charlm.evaluate --realism --save)
        metrics.jsonl           one JSON object a line: {"type": "train" | "val", "epoch",
                                "step", "progress", "loss", ...}, appended as training goes;
                                a fine-tune's opens with its origin (origin_row)

A run is named corpus-model-size-timestamp unless --run-name names it; the name is
settled here before training starts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

from dreamjobs.files import TEMP_GLOB, atomic_write

from .errors import CharLMError

LATEST = "latest.pt"
BEST = "best.pt"
METRICS = "metrics.jsonl"
REALISM = "realism.json"
EPOCH_NAME = re.compile(r"^epoch(\d+)_val(\d+\.\d+)\.pt$")


def epoch_filename(epoch: int, val_loss: float) -> str:
    return f"epoch{epoch:03d}_val{val_loss:.4f}.pt"


def epoch_checkpoints(run_dir: str | Path) -> list[tuple[int, float, Path]]:
    """(epoch, val loss, path) of a run's per-epoch checkpoints, by epoch."""
    found = []
    for p in Path(run_dir).glob("epoch*_val*.pt"):
        m = EPOCH_NAME.match(p.name)
        if m:
            found.append((int(m.group(1)), float(m.group(2)), p))
    return sorted(found)


def best_checkpoint(found: list[tuple[int, float, Path]]) -> Path | None:
    """The lowest validation loss of epoch_checkpoints(); the earlier epoch on a tie."""
    return min(found, key=lambda f: (f[1], f[0]))[2] if found else None


def mark_best(run_dir: Path) -> Path | None:
    """Point best.pt at the per-epoch checkpoint with the lowest val loss."""
    best = best_checkpoint(epoch_checkpoints(run_dir))
    if best is None:
        return None
    link = Path(run_dir) / BEST
    tmp = Path(run_dir) / f".{BEST}.tmp"
    tmp.unlink(missing_ok=True)
    try:
        tmp.symlink_to(best.name)
    except OSError:  # filesystems without symlinks get a copy
        shutil.copyfile(best, tmp)
    os.replace(tmp, link)
    return best


def has_saved_state(run_dir: Path) -> bool:
    """Whether a run folder holds anything to resume or sample: latest.pt or an epoch checkpoint."""
    return (Path(run_dir) / LATEST).is_file() or bool(epoch_checkpoints(run_dir))


def repair(run_dir: Path) -> list[str]:
    """Undo what a kill -9 can leave in a run folder: half-written temporary files, and a
    best.pt not yet moved to a better epoch saved just before. Returns what was done."""
    done = []
    for tmp in Path(run_dir).glob(TEMP_GLOB):
        tmp.unlink(missing_ok=True)
        done.append(f"removed {tmp.name}, left by an interrupted save")
    link = Path(run_dir) / BEST
    before = link.resolve() if link.exists() else None
    best = mark_best(Path(run_dir))
    if best is not None and before is not None and before != best.resolve():
        done.append(f"{BEST} pointed at {before.name}; now at {best.name}, the lowest val loss")
    return done


def new_run_dir(checkpoint_dir: str, run_name: str | None, default_name: str) -> Path:
    """The folder of a new run. A named run must not overwrite one that saved something (it
    starts again in a folder that holds only the log of a run stopped before its first save);
    an unnamed one gets -2, -3, ... after its default name when that is taken."""
    base = Path(checkpoint_dir)
    name = run_name or f"{default_name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    run_dir, n = base / name, 2
    while run_dir.exists() and any(run_dir.iterdir()):
        if run_name and not has_saved_state(run_dir):
            (run_dir / METRICS).unlink(missing_ok=True)
            break
        if run_name:
            raise CharLMError(f"{run_dir} already holds a run; continue it with --resume {run_dir}")
        run_dir, n = base / f"{name}-{n}", n + 1
    return run_dir


def read_metrics(run_dir: str | Path) -> list[dict]:
    """The rows of a run's metrics.jsonl, in order; a line cut short by a kill is skipped."""
    path = Path(run_dir) / METRICS
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def append_metric(run_dir: Path, **entry) -> None:
    entry["time"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with open(Path(run_dir) / METRICS, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")


def truncate_metrics(run_dir: Path, step: int) -> None:
    """Drop what was logged after `step`, the state a run resumes from, so the log never repeats a step."""
    if (Path(run_dir) / METRICS).is_file():
        keep = [r for r in read_metrics(run_dir) if r.get("step", 0) <= step]
        atomic_write(Path(run_dir) / METRICS, "".join(json.dumps(r) + "\n" for r in keep))


def save_realism(run_dir: str | Path, record: dict) -> Path:
    path = Path(run_dir) / REALISM
    atomic_write(path, json.dumps(record, indent=1) + "\n")
    return path


def read_realism(run_dir: str | Path) -> dict | None:
    """A run's realism.json, or None where it has none (or an unreadable one)."""
    try:
        found = json.loads((Path(run_dir) / REALISM).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def origin_row(init_path: str | Path, init: dict, keep_layers: list[int] | None) -> dict:
    """The row a fine-tune's log opens with (--init-from): the checkpoint it began from, resolved
    (best.pt names a file that a later run may replace), that run's val loss by epoch, and where
    that run began in turn, so the whole lineage is kept with the run."""
    path = Path(init_path).resolve()
    history = [[h["epoch"], h["val_loss"]] for h in init.get("history", [])
               if isinstance(h.get("epoch"), int) and isinstance(h.get("val_loss"), (int, float))]
    return {"type": "origin", "run": path.parent.name, "checkpoint": path.name, "epoch": init.get("epoch"),
            "val_loss": init.get("val_loss"), "keep_layers": keep_layers, "epochs": history,
            "before": read_origin(path.parent)}


def read_origin(run_dir: str | Path) -> dict | None:
    """A run's origin row (origin_row), or None for a run trained from scratch or logged before it."""
    return origin_in(read_metrics(run_dir))


def origin_in(rows: list[dict]) -> dict | None:
    """The origin row among a run's metrics rows, or None."""
    return next((r for r in rows if r.get("type") == "origin" and isinstance(r.get("run"), str)), None)


def lineage(origin: dict | None) -> list[tuple[float, float]]:
    """The val loss by epoch of the runs before a fine-tune, oldest first, each epoch counted
    from the lineage's start: (16, 0.6105), then a 1-epoch fine-tune of it at (17, 0.6288)."""
    if not origin:
        return []
    offset = epochs_before(origin.get("before"))
    points = [(e, v) for e, v in origin.get("epochs") or []] or (
        [(origin["epoch"], origin["val_loss"])] if isinstance(origin.get("val_loss"), (int, float)) else [])
    return lineage(origin.get("before")) + [(offset + e, v) for e, v in points if e <= origin.get("epoch", e)]


def epochs_before(origin: dict | None) -> int:
    """How many epochs of training the lineage held before the run that opens with `origin`."""
    if not origin or not isinstance(origin.get("epoch"), int):
        return 0
    return origin["epoch"] + epochs_before(origin.get("before"))


def origin_words(origin: dict | None) -> str | None:
    """"fine-tuned from t6x384-h200 epoch 16, layers 0,2,4,5", and where that run was itself a
    fine-tune, how many epochs the lineage held: "...; 17 epochs before it"; None without an origin."""
    if not origin:
        return None
    m = EPOCH_NAME.match(str(origin.get("checkpoint", "")))
    where = f"{origin.get('run')} epoch {int(m.group(1))}" if m else f"{origin.get('run')}/{origin.get('checkpoint')}"
    layers = origin.get("keep_layers")
    lineage_epochs = epochs_before(origin) if origin.get("before") else 0
    return (f"fine-tuned from {where}" + (f", layers {','.join(map(str, layers))}" if layers else "")
            + (f"; {lineage_epochs} epochs before it" if lineage_epochs else ""))
