"""Checkpoints: plain dicts of tensors and Python values, written atomically.

The schema (FORMAT), as `make` writes it:

    format          "dreamjobs-charlm/1"
    model_state     the weights, float32 (float16 in an exported run; loading restores float32)
    config          ModelConfig.to_dict(): vocab_size, model, rnn_size, num_layers, dropout
                    (and n_head, block_size for model "transformer")
    vocab           the characters, in id order
    epoch, step     the last finished epoch (0: none yet), optimizer steps taken
    train_loss, val_loss, history   losses of that epoch, and {epoch, step, train_loss,
                    val_loss, lr, train_seconds} of every epoch so far
    train_config    TrainConfig.to_dict(): the corpus path, its split, the optimizer's settings
    data_sha256     the corpus's fingerprint, so a resume knows it reads the same text
    train_seconds, torch_version
    resume          latest.pt only: optimizer, position {epoch, batch, loss_sum, loss_n},
                    hidden (the streams' state), rng, cuda_rng

It holds everything needed to sample alone, on a CPU, without the corpus. Everything
loads with torch.load(weights_only=True), so opening one never runs code. Where the
files of a run live is runs.py's business.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from dreamjobs.corpus_format import split_documents
from dreamjobs.files import atomic_file

from .data import Split, Vocab, split_by_document, text_fingerprint
from .errors import CheckpointError
from .models import ModelConfig, build
from .runs import origin_words, read_origin

FORMAT = "dreamjobs-charlm/1"


def atomic_save(obj: object, path: Path) -> None:
    """torch.save through a temporary file and a rename: a crash never leaves half a checkpoint."""
    with atomic_file(path, "wb") as fh:
        torch.save(obj, fh)


def make(model: torch.nn.Module, vocab: Vocab, *, epoch: int, step: int, train_loss: float | None, val_loss: float | None,
         history: list[dict], train_config: dict, data_sha256: str, train_seconds: float) -> dict:
    """A checkpoint in FORMAT (see above), without `resume`."""
    return {
        "format": FORMAT,
        "model_state": cpu_state_dict(model),
        "config": model.config.to_dict(),
        "vocab": vocab.chars,
        "epoch": epoch,
        "step": step,
        "train_loss": train_loss,
        "val_loss": val_loss,
        "history": list(history),
        "train_config": train_config,
        "data_sha256": data_sha256,
        "train_seconds": train_seconds,
        "torch_version": str(torch.__version__),
    }


def resume_part(optimizer: torch.optim.Optimizer, position: dict, hidden, device: torch.device) -> dict:
    """latest.pt's `resume`: what a run needs beyond its weights to go on exactly where it stopped."""
    return {"optimizer": optimizer.state_dict(), "position": dict(position), "hidden": hidden_to_list(hidden),
            "rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if device.type == "cuda" else []}


def restore_rng(resume: dict, device: torch.device) -> None:
    torch.set_rng_state(resume["rng"])
    if device.type == "cuda" and resume.get("cuda_rng"):
        torch.cuda.set_rng_state_all(resume["cuda_rng"])


def hidden_to_list(state) -> list[torch.Tensor] | None:
    """The streams' hidden state as resume["hidden"] stores it: (h, c) or h, as a list on the CPU."""
    if state is None:
        return None
    parts = state if isinstance(state, tuple) else (state,)
    return [p.detach().to("cpu") for p in parts]


def hidden_from_list(parts, device) -> object:
    if parts is None:
        return None
    parts = [p.to(device) for p in parts]
    return tuple(parts) if len(parts) == 2 else parts[0]


def cpu_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Weights as float32 CPU tensors, whatever device or precision trained them."""
    return {k: v.detach().to("cpu", torch.float32).clone() for k, v in model.state_dict().items()}


ZIP_MAGIC = b"PK\x03\x04"  # how torch.save's archives begin


def resolve(path: str | Path) -> Path:
    """The checkpoint file a path names: the file itself, or a run folder's best.pt."""
    path = Path(path)
    if path.is_dir():
        if (path / "best.pt").is_file():
            return path / "best.pt"
        raise CheckpointError(f"{path} is a folder without a best.pt: name one of its checkpoints (.pt files)")
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} not found")
    return path


def archive(path: str | Path) -> Path:
    """The checkpoint file a path names (resolve), refused at once when it is no torch archive."""
    path = resolve(path)
    with open(path, "rb") as fh:
        zipped = fh.read(4) == ZIP_MAGIC
    if not zipped:  # torch.save writes a zip archive; anything else is not one of ours
        raise CheckpointError(f"{path} is not a checkpoint: a .pt file written by python -m charlm.train is "
                              "expected")
    return path


def load(path: str | Path) -> dict:
    path = archive(path)
    try:
        with warnings.catch_warnings():
            # A damaged or foreign file also draws UserWarnings that add nothing to the error.
            warnings.simplefilter("ignore", UserWarning)
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds here for a damaged file
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        # weights_only refusals bury the cause under advice; show the line that names it.
        cause = [ln for ln in lines if "Unpickler error" in ln]
        reason = (cause or lines or [type(exc).__name__])[0].split("WeightsUnpickler error:")[-1].strip()
        raise CheckpointError(f"{path} is not a readable checkpoint: {reason}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a dreamjobs charlm checkpoint")
    for key in ("model_state", "config", "vocab"):
        if key not in ckpt:
            raise CheckpointError(f"{path} lacks {key!r}; the file is incomplete")
    return ckpt


def load_weights(model: torch.nn.Module, ckpt: dict, which: str = "the checkpoint") -> None:
    """A checkpoint's weights into model, as float32 (exported runs store float16)."""
    try:
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ckpt["model_state"].items()})
    except (RuntimeError, KeyError, AttributeError) as exc:
        raise CheckpointError(f"{which}: its weights do not fit the model its config describes "
                              f"({str(exc).splitlines()[0][:160]})") from None


def build_model(ckpt: dict) -> tuple[torch.nn.Module, Vocab]:
    """Rebuild the network and vocabulary of a loaded checkpoint (weights restored to float32)."""
    try:
        config = ModelConfig.from_dict(ckpt["config"])
        model = build(config)
        vocab = Vocab(ckpt["vocab"])
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(f"the checkpoint's model config is not valid: {exc}") from None
    load_weights(model, ckpt)
    if len(vocab) != config.vocab_size:
        raise CheckpointError("checkpoint vocabulary size does not match its model config")
    model.eval()
    return model, vocab


def load_model(path: str | Path) -> tuple[torch.nn.Module, Vocab, dict]:
    ckpt = load(path)
    model, vocab = build_model(ckpt)
    return model, vocab, ckpt


def corpus_changed(ckpt: dict, text: str) -> bool:
    """Whether text is not the corpus the checkpoint was trained on (where it says which)."""
    return bool(ckpt.get("data_sha256")) and ckpt["data_sha256"] != text_fingerprint(text)


def training_split(ckpt: dict, text: str) -> Split:
    """The train/val split of text that the checkpoint's run made: its seed and val_frac, by posting."""
    cfg = ckpt.get("train_config") or {}
    if "seed" not in cfg or "val_frac" not in cfg:
        raise CheckpointError("the checkpoint does not record how its data was split (no train_config)")
    return split_by_document(split_documents(text), cfg["val_frac"], cfg["seed"])


def _header(path: str | Path) -> dict:
    """A checkpoint's dict with its tensors memory-mapped, not read: its config, vocabulary and
    train_config at the cost of a few kilobytes. CheckpointError when unreadable."""
    path = archive(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        ModelConfig.from_dict(ckpt["config"])
        return ckpt
    except Exception as exc:  # torch raises many kinds for a damaged file; a foreign dict lacks "config"
        raise CheckpointError(f"{path} is not a readable checkpoint ({type(exc).__name__})") from None


def peek(path: str | Path) -> tuple[ModelConfig, Vocab]:
    """A checkpoint's ModelConfig and vocabulary, read without loading its weights: what checking a
    request needs before the slow load."""
    ckpt = _header(path)
    return ModelConfig.from_dict(ckpt["config"]), Vocab(ckpt["vocab"])


def origin(path: str | Path) -> str | None:
    """Where a fine-tuned run began, in words: "fine-tuned from t6x384-h200 epoch 16, layers 0,2,4,5";
    None for a run trained from scratch (or an unreadable file). Read from the run's origin row
    (runs.origin_row), else, for a run logged before it had one, from the checkpoint's --init-from."""
    found = read_origin(Path(path).parent)
    if found:
        return origin_words(found)
    try:
        cfg = _header(path).get("train_config") or {}
    except CheckpointError:
        return None
    start = cfg.get("init_from")
    return origin_words({"run": Path(start).parent.name, "checkpoint": Path(start).name,
                         "keep_layers": cfg.get("keep_layers")}) if start else None


def model_config(path: str | Path) -> ModelConfig:
    """A checkpoint's ModelConfig, read without loading its weights; CheckpointError when unreadable."""
    return peek(path)[0]