"""Train a character-level RNN on a corpus of postings: `python -m charlm.train --help`.

The loop follows char-rnn: the text is cut into batch-size contiguous streams read
seq-length characters at a time, the hidden state is carried from batch to batch,
and after every epoch the whole validation split is scored and a checkpoint named by
epoch and validation loss is written. `latest.pt` holds everything needed to resume
exactly where a run stopped: weights, optimizer, RNG states and stream position.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import checkpoint as ckpt_io
from . import distributed
from .data import (
    StreamBatches,
    Vocab,
    epoch_order,
    eval_streams,
    read_corpus,
    split_by_document,
    split_documents,
    text_fingerprint,
)
from .errors import CharLMError, CheckpointError, DataError, TrainingDiverged, VocabError, run_cli
from .model import CELLS, CharRNN, ModelConfig, detach_state, resolve_device

METRICS = "metrics.jsonl"


@dataclass
class TrainConfig:
    data: str = "corpus/input.txt"
    checkpoint_dir: str = "checkpoints"
    run_name: str | None = None
    model: str = "lstm"
    rnn_size: int = 512
    num_layers: int = 3
    dropout: float = 0.5
    seq_length: int = 100
    batch_size: int = 50
    max_epochs: int = 50
    learning_rate: float = 2e-3
    lr_decay: float = 0.97
    lr_decay_after: int = 10
    grad_clip: float = 5.0
    val_frac: float = 0.1
    eval_every: int = 0
    log_every: int = 10
    seed: int = 123
    device: str = "auto"
    bf16: bool = False
    max_minutes: float | None = None
    init_from: str | None = None

    def lr_for_epoch(self, epoch: int) -> float:
        """char-rnn's schedule: the full rate for lr_decay_after epochs, then lr_decay times less each epoch."""
        return self.learning_rate * self.lr_decay ** max(0, epoch - self.lr_decay_after)


# What a resumed run may change; everything else is the run's identity.
RESUME_OVERRIDES = {"max_epochs", "max_minutes", "device", "eval_every", "log_every", "bf16"}


def state_to_list(state) -> list[torch.Tensor] | None:
    if state is None:
        return None
    parts = state if isinstance(state, tuple) else (state,)
    return [p.detach().to("cpu") for p in parts]


def state_from_list(parts, device) -> object:
    if parts is None:
        return None
    parts = [p.to(device) for p in parts]
    return tuple(parts) if len(parts) == 2 else parts[0]


@torch.no_grad()
def evaluate_loss(model: CharRNN, ids: torch.Tensor, n_streams: int, width: int, device: torch.device,
                  autocast=None, progress=None) -> float:
    """Mean nats per character over every target of ids, read as n_streams stateful streams."""
    return scored_loss(model, ids, n_streams, width, device, autocast, progress)[0]


def scored_loss(model: CharRNN, ids: torch.Tensor, n_streams: int, width: int, device: torch.device,
                autocast=None, progress=None, deadline: float | None = None,
                group: distributed.Group | None = None) -> tuple[float, float]:
    """(mean nats per character, share of the targets scored): all of them, or as many
    windows of every stream as fit before `deadline` (time.monotonic()), at least one.

    Stopping early keeps a prefix of every stream, so the share scored is spread over
    the whole split rather than its first postings."""
    was_training = model.training
    model.eval()
    x, y = eval_streams(ids, n_streams)
    n_targets = int((y != -100).sum())
    if group is not None:  # this rank's streams; the sums are added across ranks below
        x, y = torch.tensor_split(x, group.world)[group.rank], torch.tensor_split(y, group.world)[group.rank]
    x, y = x.to(device), y.to(device)
    state, total, count = None, 0.0, 0
    for start in range(0, x.shape[1], width):
        with autocast if autocast is not None else nullcontext():
            logits, state = model(x[:, start:start + width], state)
        target = y[:, start:start + width]
        total += F.cross_entropy(logits.float().flatten(0, 1), target.flatten(),
                                 ignore_index=-100, reduction="sum").item()
        count += int((target != -100).sum())
        if progress:
            progress(min(width, x.shape[1] - start) * x.shape[0])
        if deadline is not None and time.monotonic() >= deadline:
            break
    model.train(was_training)
    if group is not None:
        total, count = group.sum([total, count], device)
    return total / max(count, 1), count / max(n_targets, 1)


def forward_loss(model: CharRNN, x: torch.Tensor, y: torch.Tensor, hidden, autocast) -> tuple[torch.Tensor, object]:
    """Mean cross-entropy (nats per character) of one batch, and the state after it."""
    with autocast:
        logits, hidden = model(x, hidden)
    return F.cross_entropy(logits.float().flatten(0, 1), y.flatten()), hidden


def make_optimizer(model: torch.nn.Module, lr: float, device: torch.device) -> torch.optim.Optimizer:
    """Adam; on CUDA its fused kernel (one launch for every parameter instead of several per tensor)."""
    return torch.optim.Adam(model.parameters(), lr=lr, fused=True if device.type == "cuda" else None)


def optimize(model: CharRNN, optimizer: torch.optim.Optimizer, loss: torch.Tensor, grad_clip: float) -> None:
    """Backward, clip the gradient norm, one optimizer step: the update charlm.bench times too."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()


class Trainer:
    def __init__(self, cfg: TrainConfig, resume: dict | None = None, run_dir: Path | None = None):
        self.created = time.monotonic()  # the time budget counts from here: reading the corpus is part of it
        self.cfg = cfg
        self.device = resolve_device(cfg.device)
        self.group = distributed.start(self.device, cfg.batch_size)  # None unless under torchrun
        if self.group and self.device.type == "cuda":
            self.device = torch.device("cuda", self.group.local_rank)
        self.main = self.group is None or self.group.main  # the one process that writes
        text = read_corpus(cfg.data)
        self.data_sha256 = text_fingerprint(text)
        if resume and resume.get("data_sha256") != self.data_sha256:
            raise DataError(
                f"{cfg.data} changed since this run started, so it cannot resume exactly; "
                "start a new run from its weights with --init-from"
            )
        self.split = split_by_document(split_documents(text), cfg.val_frac, cfg.seed)

        init = None
        if resume:
            self.vocab = Vocab(resume["vocab"])
            model_cfg = ModelConfig.from_dict(resume["config"])
        elif cfg.init_from:
            init = ckpt_io.load(cfg.init_from)
            self.vocab = Vocab(init["vocab"])
            missing = self.vocab.missing(text)
            if missing:
                shown = ", ".join(repr(c) for c in missing[:10])
                raise VocabError(
                    f"vocabulary mismatch: {cfg.data} has characters that the --init-from checkpoint "
                    f"lacks ({shown}); train from scratch or clean the corpus"
                )
            model_cfg = ModelConfig.from_dict(init["config"])
        else:
            self.vocab = Vocab.from_text(text)
            model_cfg = ModelConfig(len(self.vocab), cfg.model, cfg.rnn_size, cfg.num_layers, cfg.dropout)
        # The model's real shape wins over command-line sizes when weights come from a checkpoint.
        cfg.model, cfg.rnn_size, cfg.num_layers, cfg.dropout = (
            model_cfg.model, model_cfg.rnn_size, model_cfg.num_layers, model_cfg.dropout)

        self.train_docs = [self.vocab.encode(d) for d in self.split.train]
        self.val_ids = self.vocab.encode("".join(self.split.val))
        if len(self.val_ids) < 2:
            raise DataError("the validation split has fewer than 2 characters; raise --val-frac")
        # Fail now, not after building the model, when the layout cannot hold one batch.
        StreamBatches(torch.cat(self.train_docs), cfg.batch_size, cfg.seq_length)

        torch.manual_seed(cfg.seed)
        self.model = CharRNN(model_cfg).to(self.device)
        source = resume or init
        if source:
            try:
                self.model.load_state_dict({k: v.float() for k, v in source["model_state"].items()})
            except (RuntimeError, KeyError, AttributeError) as exc:
                which = "--resume" if resume else f"--init-from {cfg.init_from}"
                raise CheckpointError(f"{which}: its weights do not fit the model its config describes "
                                      f"({str(exc).splitlines()[0][:160]})") from None
        # Under torchrun the forward pass goes through DDP, which averages gradients across
        # ranks; checkpoints hold the bare model, so their format does not change.
        self.net = self.model
        if self.group:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.group.local_rank] if self.device.type == "cuda" else None
            self.net = DistributedDataParallel(self.model, device_ids=ids)
        self.optimizer = make_optimizer(self.model, cfg.learning_rate, self.device)

        self.history: list[dict] = list(resume["history"]) if resume else []
        self.step = resume["step"] if resume else 0
        self.train_seconds = resume.get("train_seconds", 0.0) if resume else 0.0
        self.position = {"epoch": 1, "batch": 0, "loss_sum": 0.0, "loss_n": 0}
        self.hidden = None
        if resume:
            extra = resume["resume"]
            self.optimizer.load_state_dict(extra["optimizer"])
            self.position = dict(extra["position"])
            self.hidden = self._my_rows(state_from_list(extra["hidden"], self.device))
            torch.set_rng_state(extra["rng"])
            if self.device.type == "cuda" and extra.get("cuda_rng"):
                torch.cuda.set_rng_state_all(extra["cuda_rng"])

        if self.main:
            self.run_dir = run_dir or self._new_run_dir()
            self.run_dir.mkdir(parents=True, exist_ok=True)
            for note in ckpt_io.repair(self.run_dir):
                tqdm.write(f"repaired {self.run_dir}: {note}")
            if resume:
                self._truncate_metrics()
        else:  # other ranks write nothing; the folder is named in messages only
            self.run_dir = run_dir or Path(cfg.checkpoint_dir) / (cfg.run_name or "(rank 0's run)")
        self.stop_requested = False

    # -- set-up helpers -------------------------------------------------------------------------

    def _new_run_dir(self) -> Path:
        cfg = self.cfg
        name = cfg.run_name or "{}-{}{}x{}-{}".format(
            Path(cfg.data).stem, cfg.model, cfg.num_layers, cfg.rnn_size,
            datetime.now().strftime("%Y%m%d-%H%M%S"))
        base = Path(cfg.checkpoint_dir)
        run_dir, n = base / name, 2
        while run_dir.exists() and any(run_dir.iterdir()):
            if cfg.run_name and not ckpt_io.has_saved_state(run_dir):
                # A run stopped before its first save left only its log (and maybe debris):
                # nothing to resume, so it starts again in the same folder.
                (run_dir / METRICS).unlink(missing_ok=True)
                break
            if cfg.run_name:
                raise CharLMError(f"{run_dir} already holds a run; continue it with --resume {run_dir}")
            run_dir, n = base / f"{name}-{n}", n + 1
        cfg.run_name = run_dir.name
        return run_dir

    def _truncate_metrics(self) -> None:
        """Drop metrics logged after the state we resume from, so the log never repeats a step."""
        path = self.run_dir / METRICS
        if not path.exists():
            return
        keep = [line for line in path.read_text().splitlines()
                if line.strip() and json.loads(line)["step"] <= self.step]
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(line + "\n" for line in keep))
        tmp.replace(path)

    def _my_rows(self, state):
        """This rank's rows of a full-batch hidden state (all of it without torchrun)."""
        if state is None or self.group is None:
            return state
        rows = self.group.rows(self.cfg.batch_size)
        return tuple(s[:, rows] for s in state) if isinstance(state, tuple) else state[:, rows]

    def _all_rows(self, state):
        """The hidden state of every stream, gathered from every rank (a collective call)."""
        if state is None or self.group is None:
            return state
        if isinstance(state, tuple):
            return tuple(self.group.gather_rows(s, dim=1) for s in state)
        return self.group.gather_rows(state, dim=1)

    def say(self, message: str) -> None:
        if self.main:
            tqdm.write(message)

    def log(self, **entry) -> None:
        if not self.main:
            return
        entry["time"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with open(self.run_dir / METRICS, "a") as fh:
            fh.write(json.dumps(entry) + "\n")

    # -- the loop -------------------------------------------------------------------------------

    def autocast(self):
        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.cfg.bf16 and self.device.type == "cuda")

    def epoch_batches(self, epoch: int) -> StreamBatches:
        ids = torch.cat(epoch_order(self.train_docs, self.cfg.seed, epoch))
        batches = StreamBatches(ids, self.cfg.batch_size, self.cfg.seq_length)
        if self.group:
            rows = self.group.rows(self.cfg.batch_size)
            batches.x, batches.y = batches.x[rows], batches.y[rows]
        if self.device.type == "cuda":
            # One pinned, asynchronous copy an epoch; batches are then slices on the GPU.
            batches.x = batches.x.pin_memory().to(self.device, non_blocking=True)
            batches.y = batches.y.pin_memory().to(self.device, non_blocking=True)
        return batches

    def evaluate(self) -> float:
        """Mean nats per character over every target of the validation split."""
        return scored_loss(self.model, self.val_ids, self.cfg.batch_size, max(self.cfg.seq_length, 256),
                           self.device, self.autocast(), group=self.group)[0]

    def train_step(self, x: torch.Tensor, y: torch.Tensor) -> float:
        loss, self.hidden = forward_loss(self.net, x, y, self.hidden, self.autocast())
        value = loss.item()
        if self.group:  # every rank must take the same decision below
            value = self.group.sum([value], self.device)[0] / self.group.world
        # A healthy run starts near ln(V) and falls; far above it, training has blown up.
        limit = 3.0 * max(math.log(len(self.vocab)), 1.0)
        if not math.isfinite(value) or value > limit:
            raise TrainingDiverged(
                f"training loss became {value:.4g} at epoch {self.position['epoch']} step {self.step + 1} "
                f"(limit {limit:.2f}); lower --learning-rate or --grad-clip. "
                f"The last good state is {self.run_dir / ckpt_io.LATEST}"
            )
        optimize(self.net, self.optimizer, loss, self.cfg.grad_clip)
        self.hidden = detach_state(self.hidden)
        self.step += 1
        return value

    def _on_sigint(self, signum, frame) -> None:
        if self.stop_requested:  # a second Ctrl-C means now
            raise KeyboardInterrupt
        self.stop_requested = True
        self.say("Ctrl-C: saving a resumable state after this step (press again to abort)")

    def run(self) -> str:
        """Train until max_epochs, the time budget or Ctrl-C; returns why it stopped."""
        old_handler = None
        if hasattr(signal, "SIGINT") and _in_main_thread():
            old_handler = signal.signal(signal.SIGINT, self._on_sigint)
        try:
            return self._run()
        finally:
            if old_handler is not None:
                signal.signal(signal.SIGINT, old_handler)

    def _run(self) -> str:
        cfg = self.cfg
        started = self.created
        budget = cfg.max_minutes * 60 if cfg.max_minutes else None
        # The closing evaluation counts against the budget: training stops early enough
        # to leave it a tenth of the budget (at most a minute), and it stops at the end.
        self._deadline = started + budget if budget else None
        train_until = started + budget - min(60.0, budget / 10) if budget else None
        self.model.train()
        while self.position["epoch"] <= cfg.max_epochs:
            epoch = self.position["epoch"]
            lr = cfg.lr_for_epoch(epoch)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            batches = self.epoch_batches(epoch)
            self._n_batches = len(batches)
            if self.position["batch"] == 0:
                self.hidden = None
            window_sum, window_n, window_t = 0.0, 0, time.monotonic()
            bar = tqdm(total=len(batches), initial=self.position["batch"], unit="batch",
                       desc=f"epoch {epoch}/{cfg.max_epochs}", dynamic_ncols=True, leave=False, disable=not self.main)
            for i in range(self.position["batch"], len(batches)):
                t0 = time.monotonic()
                loss = self.train_step(*batches.batch(i))
                self.train_seconds += time.monotonic() - t0
                self.position["batch"] = i + 1
                self.position["loss_sum"] += loss
                self.position["loss_n"] += 1
                window_sum, window_n = window_sum + loss, window_n + 1
                progress = epoch - 1 + (i + 1) / len(batches)
                if window_n == cfg.log_every or i + 1 == len(batches):
                    elapsed = time.monotonic() - window_t
                    cps = window_n * cfg.batch_size * cfg.seq_length / max(elapsed, 1e-9)
                    self.log(type="train", epoch=epoch, step=self.step, progress=round(progress, 4),
                             loss=window_sum / window_n, lr=lr, chars_per_s=round(cps))
                    bar.set_postfix(loss=f"{window_sum / window_n:.3f}", chars_s=f"{cps:,.0f}")
                    window_sum, window_n, window_t = 0.0, 0, time.monotonic()
                bar.update(1)
                if cfg.eval_every and self.step % cfg.eval_every == 0 and i + 1 < len(batches):
                    val = self.evaluate()
                    self.log(type="val", epoch=epoch, step=self.step, progress=round(progress, 4), loss=val)
                    self.say(f"step {self.step}: val loss {val:.4f}")
                interrupted, over_budget = self.stop_requested, bool(train_until and time.monotonic() > train_until)
                if self.group:  # stop together, at the same step, or the others would wait forever
                    interrupted, over_budget = (v > 0 for v in self.group.sum([interrupted, over_budget], self.device))
                if interrupted:
                    bar.close()
                    return self._stop("interrupted")
                if over_budget:
                    bar.close()
                    return self._stop("time budget")
            bar.close()
            self._end_epoch(epoch, lr)
        return "done"

    def _end_epoch(self, epoch: int, lr: float) -> None:
        val = self.evaluate()
        train = self.position["loss_sum"] / max(1, self.position["loss_n"])
        self.history.append({"epoch": epoch, "step": self.step, "train_loss": train, "val_loss": val,
                             "lr": lr, "train_seconds": round(self.train_seconds, 1)})
        self.log(type="val", epoch=epoch, step=self.step, progress=float(epoch), loss=val, train_loss=train)
        path = self.run_dir / ckpt_io.epoch_filename(epoch, val)
        if self.main:
            ckpt_io.atomic_save(self.checkpoint(epoch, train, val), path)
        self.position = {"epoch": epoch + 1, "batch": 0, "loss_sum": 0.0, "loss_n": 0}
        self.hidden = None
        self.save_latest()
        best = ckpt_io.mark_best(self.run_dir) if self.main else None
        tag = " (best)" if best == path else ""
        self.say(f"epoch {epoch}/{self.cfg.max_epochs}: train {train:.4f}  val {val:.4f} nats/char "
                   f"({val / math.log(2):.3f} bits)  -> {path}{tag}")

    def _stop(self, why: str) -> str:
        if why == "time budget":
            # A budget run is often a comparison: leave a val loss at the point it stopped,
            # on as much of the val split as the budget's last tenth allows, and say how much.
            val, share = scored_loss(self.model, self.val_ids, self.cfg.batch_size, max(self.cfg.seq_length, 256),
                                     self.device, self.autocast(), deadline=self._deadline, group=self.group)
            self.log(type="val", epoch=self.position["epoch"], step=self.step, loss=val, budget_stop=True,
                     val_share=round(share, 4),
                     progress=round(self.position["epoch"] - 1 + self.position["batch"] / max(1, self._n_batches), 4))
            scope = "the whole val split" if share >= 1 else f"{share:.0%} of the val split (all the budget left time for)"
            self.say(f"val loss at the end of the budget: {val:.4f} nats/char, on {scope}")
        path = self.save_latest()
        done = self.position["batch"]
        self.say(f"{why}: saved resumable state at epoch {self.position['epoch']} batch {done} "
                   f"to {path}; continue with: python -m charlm.train --resume {self.run_dir}")
        return why

    def checkpoint(self, epoch: int, train_loss: float | None, val_loss: float | None) -> dict:
        return {
            "format": ckpt_io.FORMAT,
            "model_state": ckpt_io.cpu_state_dict(self.model),
            "config": self.model.config.to_dict(),
            "vocab": self.vocab.chars,
            "epoch": epoch,
            "step": self.step,
            "train_loss": train_loss,
            "val_loss": val_loss,
            "history": list(self.history),
            "train_config": asdict(self.cfg),
            "data_sha256": self.data_sha256,
            "train_seconds": self.train_seconds,
            "torch_version": str(torch.__version__),
        }

    def save_latest(self) -> Path:
        """latest.pt, written by rank 0; every rank calls it (the streams' state is gathered)."""
        hidden = self._all_rows(self.hidden)
        path = self.run_dir / ckpt_io.LATEST
        if not self.main:
            return path
        last = self.history[-1] if self.history else {}
        state = self.checkpoint(last.get("epoch", 0), last.get("train_loss"), last.get("val_loss"))
        state["resume"] = {
            "optimizer": self.optimizer.state_dict(),
            "position": dict(self.position),
            "hidden": state_to_list(hidden),
            "rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if self.device.type == "cuda" else [],
        }
        ckpt_io.atomic_save(state, path)
        return path


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def build_parser() -> argparse.ArgumentParser:
    d = TrainConfig()
    p = argparse.ArgumentParser(
        prog="python -m charlm.train",
        description="Train a character-level LSTM/GRU/RNN on a corpus of postings (char-rnn style). "
                    "Writes checkpoints/<run>/epochNNN_valX.XXXX.pt after every epoch, latest.pt to resume, "
                    "best.pt pointing at the lowest val loss, and metrics.jsonl.",
        # Only options the user typed land in the namespace, so --resume can tell them apart.
        argument_default=argparse.SUPPRESS,
    )
    io = p.add_argument_group("data and output")
    io.add_argument("--data", help=f"corpus file; postings end with </html> (default {d.data})")
    io.add_argument("--checkpoint-dir", help=f"folder that holds one sub-folder per run (default {d.checkpoint_dir})")
    io.add_argument("--run-name", help="name of the run folder (default: corpus-model-size-timestamp)")
    io.add_argument("--val-frac", type=float, help=f"share of postings held out for validation (default {d.val_frac})")
    io.add_argument("--resume", metavar="RUN", help="continue a run exactly where it stopped: its folder or its latest.pt")
    io.add_argument("--init-from", metavar="CKPT", help="start a new run from a checkpoint's weights (same vocabulary)")

    m = p.add_argument_group("model")
    m.add_argument("--model", choices=list(CELLS), help=f"recurrent cell (default {d.model})")
    m.add_argument("--rnn-size", type=int, help=f"hidden units per layer (default {d.rnn_size})")
    m.add_argument("--num-layers", type=int, help=f"stacked recurrent layers (default {d.num_layers})")
    m.add_argument("--dropout", type=float, help=f"dropout between layers and before the output (default {d.dropout})")

    o = p.add_argument_group("optimization")
    o.add_argument("--seq-length", type=int, help=f"characters per BPTT window (default {d.seq_length})")
    o.add_argument("--batch-size", type=int, help=f"parallel character streams (default {d.batch_size})")
    o.add_argument("--max-epochs", type=int, help=f"passes over the training split (default {d.max_epochs})")
    o.add_argument("--learning-rate", type=float, help=f"Adam learning rate (default {d.learning_rate})")
    o.add_argument("--lr-decay", type=float, help=f"learning-rate factor per epoch once decay starts (default {d.lr_decay})")
    o.add_argument("--lr-decay-after", type=int, help=f"epochs at the full learning rate (default {d.lr_decay_after})")
    o.add_argument("--grad-clip", type=float, help=f"clip the gradient norm to this (default {d.grad_clip})")
    o.add_argument("--seed", type=int, help=f"seed for the split, initialization and dropout (default {d.seed})")

    r = p.add_argument_group("running")
    r.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"],
                   help=f"auto picks cuda, then mps, then cpu (default {d.device})")
    r.add_argument("--bf16", action="store_true", help="bfloat16 autocast on CUDA (ignored elsewhere)")
    r.add_argument("--eval-every", type=int, help="also score the val split every N steps; 0: only after each epoch")
    r.add_argument("--log-every", type=int, help=f"steps per train-loss line in metrics.jsonl (default {d.log_every})")
    r.add_argument("--max-minutes", type=float, help="stop after this much time, saving a resumable state")
    return p


def check_config(cfg: TrainConfig) -> None:
    positive = {"rnn_size": cfg.rnn_size, "num_layers": cfg.num_layers, "seq_length": cfg.seq_length,
                "batch_size": cfg.batch_size, "max_epochs": cfg.max_epochs, "log_every": cfg.log_every}
    for name, value in positive.items():
        if value < 1:
            raise CharLMError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    # Written as "not (inside)" so that nan, which fails every comparison, is refused too.
    if not 0.0 <= cfg.dropout < 1.0:
        raise CharLMError(f"--dropout must be in [0, 1), got {cfg.dropout}")
    if not (0 < cfg.learning_rate < math.inf and 0 < cfg.grad_clip < math.inf and 0 < cfg.lr_decay <= 1):
        raise CharLMError("--learning-rate and --grad-clip must be positive numbers and --lr-decay in (0, 1]")
    if not 0 < cfg.val_frac < 1:
        raise CharLMError(f"--val-frac must be between 0 and 1, got {cfg.val_frac}")
    if cfg.eval_every < 0 or (cfg.max_minutes is not None and not 0 < cfg.max_minutes < math.inf):
        raise CharLMError("--eval-every must be >= 0 and --max-minutes a positive number")
    name = cfg.run_name
    if name is not None and (not name or Path(name).name != name or name in (".", "..") or "\\" in name):
        raise CharLMError(f"--run-name must be a plain folder name inside --checkpoint-dir, got {name!r}")


def load_resume(path: str) -> tuple[dict, Path]:
    p = Path(path)
    file = p / ckpt_io.LATEST if p.is_dir() else p
    if p.is_dir() and not file.exists():
        raise CheckpointError(f"{p} holds no {ckpt_io.LATEST} to resume from"
                              + ("; it was stopped before its first save: start it again with the same command "
                                 f"and --run-name {p.name}" if not ckpt_io.has_saved_state(p) else ""))
    state = ckpt_io.load(file)
    if "resume" not in state:
        raise CheckpointError(f"{file} is a per-epoch checkpoint without optimizer state; "
                              f"resume from the run's {ckpt_io.LATEST}, or use --init-from to start anew")
    return state, file.parent


def main(argv: list[str] | None = None) -> int:
    given = vars(build_parser().parse_args(argv))
    resume_path = given.pop("resume", None)
    if resume_path:
        state, run_dir = load_resume(resume_path)
        fixed = sorted(set(given) - RESUME_OVERRIDES)
        if fixed:
            opts = ", ".join("--" + k.replace("_", "-") for k in fixed)
            raise CharLMError(f"{opts} cannot change when resuming; only "
                              + ", ".join("--" + k.replace("_", "-") for k in sorted(RESUME_OVERRIDES)) + " can")
        known = {f.name for f in fields(TrainConfig)}
        cfg = TrainConfig(**{k: v for k, v in state["train_config"].items() if k in known})
        for k, v in given.items():
            setattr(cfg, k, v)
        check_config(cfg)
        if state["resume"]["position"]["epoch"] > cfg.max_epochs:
            print(f"{run_dir} already finished {cfg.max_epochs} epochs; pass a larger --max-epochs to train on")
            return 0
        trainer = Trainer(cfg, resume=state, run_dir=run_dir)
    else:
        cfg = TrainConfig(**given)
        check_config(cfg)
        trainer = Trainer(cfg)

    try:
        if trainer.main:
            n_params = sum(p.numel() for p in trainer.model.parameters())
            ranks = f" x {trainer.group.world} processes (DDP)" if trainer.group else ""
            print(f"run {trainer.cfg.run_name}: {trainer.run_dir}")
            print(trainer.split.describe())
            print(f"vocab {len(trainer.vocab)} chars; {cfg.model} {cfg.num_layers}x{cfg.rnn_size}, "
                  f"{n_params:,} parameters; device {trainer.device}{ranks}"
                  + (" (bf16 autocast)" if cfg.bf16 and trainer.device.type == "cuda" else ""))
            if resume_path:
                pos = trainer.position
                print(f"resuming at epoch {pos['epoch']} batch {pos['batch']} (step {trainer.step})")
        why = trainer.run()
    finally:
        distributed.stop()
    best = ckpt_io.mark_best(trainer.run_dir) if trainer.main else None
    if best:
        print(f"best checkpoint: {best}")
    return 130 if why == "interrupted" else 0


if __name__ == "__main__":
    run_cli(main)
