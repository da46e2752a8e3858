"""Checkpoints: plain dicts of tensors and Python values, written atomically.

A checkpoint holds everything needed to sample alone, on a CPU, without the corpus:
weights, model config, vocabulary, epoch, step, losses and the loss history. The
resumable `latest.pt` adds the optimizer, the RNG states and the stream position.
Everything loads with torch.load(weights_only=True), so opening one never runs code.
"""

from __future__ import annotations

import os
import re
import secrets
import warnings
from pathlib import Path

import torch

from .data import Vocab
from .errors import CheckpointError
from .model import CharRNN, ModelConfig

FORMAT = "dreamjobs-charlm/1"
LATEST = "latest.pt"
BEST = "best.pt"
EPOCH_NAME = re.compile(r"^epoch(\d+)_val(\d+\.\d+)\.pt$")


def epoch_filename(epoch: int, val_loss: float) -> str:
    return f"epoch{epoch:03d}_val{val_loss:.4f}.pt"


def atomic_save(obj: object, path: Path) -> None:
    """Write to a temporary file beside path, then rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A plain open() (not mkstemp) so the file gets the usual umask permissions.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def cpu_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Weights as float32 CPU tensors, whatever device or precision trained them."""
    return {k: v.detach().to("cpu", torch.float32).clone() for k, v in model.state_dict().items()}


def load(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} not found")
    try:
        with warnings.catch_warnings():
            # A damaged or foreign file also draws UserWarnings that add nothing to the error.
            warnings.simplefilter("ignore", UserWarning)
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds here for a damaged file
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        # weights_only refusals bury the cause under advice; show the line that names it.
        cause = [ln for ln in lines if "Unpickler error" in ln]
        reason = (cause or lines or [type(exc).__name__])[0]
        raise CheckpointError(f"{path} is not a readable checkpoint: {reason}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a dreamjobs charlm checkpoint")
    for key in ("model_state", "config", "vocab"):
        if key not in ckpt:
            raise CheckpointError(f"{path} lacks {key!r}; the file is incomplete")
    return ckpt


def build_model(ckpt: dict) -> tuple[CharRNN, Vocab]:
    """Rebuild the network and vocabulary of a loaded checkpoint (weights restored to float32)."""
    try:
        config = ModelConfig.from_dict(ckpt["config"])
        model = CharRNN(config)
        state = {k: v.float() if v.is_floating_point() else v for k, v in ckpt["model_state"].items()}
        model.load_state_dict(state)
        vocab = Vocab(ckpt["vocab"])
    except (TypeError, ValueError, RuntimeError, KeyError) as exc:
        raise CheckpointError(f"checkpoint weights do not fit its config: {exc}") from None
    if len(vocab) != config.vocab_size:
        raise CheckpointError("checkpoint vocabulary size does not match its model config")
    model.eval()
    return model, vocab


def load_model(path: str | Path) -> tuple[CharRNN, Vocab, dict]:
    ckpt = load(path)
    model, vocab = build_model(ckpt)
    return model, vocab, ckpt


def epoch_checkpoints(run_dir: str | Path) -> list[tuple[int, float, Path]]:
    """(epoch, val loss, path) of a run's per-epoch checkpoints, by epoch."""
    found = []
    for p in Path(run_dir).glob("epoch*_val*.pt"):
        m = EPOCH_NAME.match(p.name)
        if m:
            found.append((int(m.group(1)), float(m.group(2)), p))
    return sorted(found)


def has_saved_state(run_dir: Path) -> bool:
    """Whether a run folder holds anything to resume or sample: latest.pt or an epoch checkpoint."""
    return (Path(run_dir) / LATEST).is_file() or bool(epoch_checkpoints(run_dir))


def repair(run_dir: Path) -> list[str]:
    """Undo what a kill -9 can leave in a run folder: half-written temporary files, and a
    best.pt not yet moved to a better epoch saved just before. Returns what was done."""
    done = []
    for tmp in Path(run_dir).glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
        done.append(f"removed {tmp.name}, left by an interrupted save")
    link = Path(run_dir) / BEST
    before = link.resolve() if link.exists() else None
    best = mark_best(Path(run_dir))
    if best is not None and before is not None and before != best.resolve():
        done.append(f"{BEST} pointed at {before.name}; now at {best.name}, the lowest val loss")
    return done


def mark_best(run_dir: Path) -> Path | None:
    """Point best.pt at the per-epoch checkpoint with the lowest val loss."""
    found = epoch_checkpoints(run_dir)
    if not found:
        return None
    best = min(found, key=lambda f: (f[1], f[0]))[2]
    link = run_dir / BEST
    tmp = run_dir / f".{BEST}.tmp"
    tmp.unlink(missing_ok=True)
    try:
        tmp.symlink_to(best.name)
    except OSError:  # filesystems without symlinks get a copy
        import shutil

        shutil.copyfile(best, tmp)
    os.replace(tmp, link)
    return best
