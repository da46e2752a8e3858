"""The training loop (char-rnn's): `Trainer.new`, `.init_from` or `.resumed`, then `run()`.

The text is cut into batch-size streams read seq-length characters at a time, the state
carried from batch to batch; after every epoch the validation split is scored and a
checkpoint named by epoch and val loss is written (runs.py). `latest.pt` holds all it
takes to resume exactly. Under torchrun DDP shares the work; rank 0 alone writes.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import torch
from tqdm import tqdm

from dreamjobs.corpus_format import LEAD, split_documents

from .. import checkpoint as ckpt_io
from .. import runs
from ..company_slot import COMPANY_SLOT, scored_text, with_rows, with_slot
from ..data import StreamBatches, Vocab, epoch_order, read_corpus, split_by_document, text_fingerprint
from ..errors import DataError, TrainingDiverged, VocabError
from ..loss import stream_loss
from ..models import ModelConfig, build, keep_layers, resolve_device
from ..models.header import training_batches, with_gates, with_header_ids
from ..profile import CorpusProfile
from ..threads import ThreadPacer
from . import distributed
from .budget import Budget
from .company_swap import TrainPostings
from .config import TrainConfig
from .objective import TrainStep, make_optimizer
from .precision import choose_bf16


class Trainer:
    def __init__(self, cfg: TrainConfig, run_dir: Path, text: str, vocab: Vocab, started: float):
        """Use a named constructor; this one only builds what every kind of run shares."""
        cfg = cfg.with_model(with_header_ids(cfg.model, vocab))
        self.cfg, self.run_dir, self.vocab = cfg, run_dir, vocab
        self.device = resolve_device(cfg.device)
        self.group = distributed.start(self.device, cfg.batch_size)  # None unless under torchrun
        self.pacer, self.val_pacer = ThreadPacer.for_run(cfg.threads, self.group is None and self.device.type == "cpu",
                                                         cfg.compile)
        if self.group and self.device.type == "cuda":
            self.device = torch.device("cuda", self.group.local_rank)
        self.main = self.group is None or self.group.main  # the one process that writes
        self.bf16, self.bf16_why = choose_bf16(cfg.bf16, self.device, cfg.model, cfg.batch_size * cfg.seq_length)
        self.budget = Budget(started, cfg.max_minutes, self.group, self.device, self.say)
        self.data_sha256 = text_fingerprint(text)
        self.split = split_by_document(split_documents(text), cfg.val_frac, cfg.seed)
        self.train_postings = TrainPostings(self.split.train, vocab, cfg.swap_companies, cfg.seed)
        self.val_ids, self.val_per_char = scored_text(self.split.val, vocab)  # company_slot.py
        if len(self.val_ids) < 2:
            raise DataError("the validation split has fewer than 2 characters; raise --val-frac")
        # Fail now, not after building the model, when the layout cannot hold one batch.
        StreamBatches(torch.cat(self.train_postings.encoded), cfg.batch_size, cfg.seq_length)
        torch.manual_seed(cfg.seed)
        self.model = build(cfg.model).to(self.device)
        self.net = distributed.wrap(self.group, self.model, self.device)  # checkpoints hold the bare model
        self.optimizer = make_optimizer(self.model, cfg.learning_rate, self.device, cfg.weight_decay, cfg.beta2,
                                        cfg.optimizer)
        self.step_once = TrainStep(self.net, self.model, self.optimizer, cfg.grad_clip, self.autocast, cfg.compile)
        self.history: list[dict] = []
        self.step, self.train_seconds = 0, 0.0
        self.position = {"epoch": 1, "batch": 0, "loss_sum": 0.0, "loss_n": 0}
        self.hidden = None
        self.time_share = 0.0  # of the time budget spent; agreed by the ranks at each log window
        self._n_batches = 1  # an epoch's, once the first epoch's batches are laid out
        if self.main:
            run_dir.mkdir(parents=True, exist_ok=True)
            for note in runs.repair(run_dir):
                tqdm.write(f"repaired {run_dir}: {note}")
            CorpusProfile.of(self.split).save(run_dir)  # what sampling needs of the corpus (profile.py)

    @classmethod
    def new(cls, cfg: TrainConfig, run_dir: Path) -> "Trainer":
        """Fresh weights; the vocabulary is the corpus's characters."""
        started = time.monotonic()
        text = read_corpus(cfg.data)
        vocab = Vocab.from_text(text + (COMPANY_SLOT if cfg.company_slot else ""))
        return cls(cfg.with_model(replace(cfg.model, vocab_size=len(vocab))), run_dir, text, vocab, started)

    @classmethod
    def init_from(cls, cfg: TrainConfig, run_dir: Path, given: dict) -> "Trainer":
        """A new run from a checkpoint's weights, vocabulary (with the slot, if asked) and shape (--init-from), or from
        some of its layers (--keep-layers); `given`: the options typed, as TrainConfig.for_checkpoint reads them."""
        started = time.monotonic()
        init, text = ckpt_io.load(cfg.init_from), read_corpus(cfg.data)
        vocab = Vocab(init["vocab"])
        if missing := vocab.missing(text):
            raise VocabError(f"vocabulary mismatch: {cfg.data} has characters that the --init-from checkpoint lacks "
                             f"({', '.join(repr(c) for c in missing[:10])}); train from scratch or clean the corpus")
        vocab = with_slot(vocab) if cfg.company_slot else vocab
        shape, weights = replace(ModelConfig.from_dict(init["config"]), vocab_size=len(vocab)), init["model_state"]
        if cfg.keep_layers is not None:
            shape, weights = keep_layers(shape, weights, cfg.keep_layers)
        trainer = cls(cfg.for_checkpoint(shape, given), run_dir, text, vocab, started)
        weights = with_rows(trainer.model, with_gates(trainer.model, weights))  # header gates, slot: where it lacks them
        ckpt_io.load_weights(trainer.model, {**init, "model_state": weights}, f"--init-from {cfg.init_from}")
        trainer.log(**runs.origin_row(cfg.init_from, init, cfg.keep_layers))
        return trainer

    @classmethod
    def resumed(cls, cfg: TrainConfig, state: dict, run_dir: Path) -> "Trainer":
        """The run of a latest.pt, exactly where it stopped (--resume)."""
        started = time.monotonic()
        text = read_corpus(cfg.data)
        if state.get("data_sha256") != text_fingerprint(text):
            raise DataError(f"{cfg.data} changed since this run started, so it cannot resume exactly; "
                            "start a new run from its weights with --init-from")
        trainer = cls(cfg.with_model(ModelConfig.from_dict(state["config"])), run_dir, text, Vocab(state["vocab"]),
                      started)
        ckpt_io.load_weights(trainer.model, state, "--resume")
        trainer._restore(state)
        return trainer

    def _restore(self, state: dict) -> None:
        extra = state["resume"]
        self.history = list(state["history"])
        self.step, self.train_seconds = state["step"], state.get("train_seconds", 0.0)
        self.optimizer.load_state_dict(extra["optimizer"])
        self.position = dict(extra["position"])
        self.hidden = distributed.local_rows(self.group, ckpt_io.hidden_from_list(extra["hidden"], self.device), self.cfg.batch_size)
        ckpt_io.restore_rng(extra, self.device)
        if self.main:
            runs.truncate_metrics(self.run_dir, self.step)

    def say(self, message: str) -> None:
        if self.main:
            tqdm.write(message)

    def log(self, **entry) -> None:
        if self.main:
            runs.append_metric(self.run_dir, **entry)

    def autocast(self):
        return torch.autocast("cuda" if self.device.type == "cuda" else "cpu", dtype=torch.bfloat16, enabled=self.bf16)

    def epoch_batches(self, epoch: int) -> StreamBatches:
        cfg = self.cfg
        docs = epoch_order(self.train_postings.epoch(epoch), cfg.seed, epoch)
        batches = training_batches(cfg.model, docs, cfg.batch_size, cfg.seq_length, self.vocab.encode(LEAD))
        if self.group:
            batches.rows(self.group.rows(cfg.batch_size))
        batches.to(self.device)
        return batches

    def val_loss(self, deadline: float | None = None) -> tuple[float, float]:
        """(mean nats per character, share scored) of the validation split: all of it, or what fits before deadline."""
        loss, share = stream_loss(self.model, self.val_ids, self.cfg.batch_size, max(self.cfg.seq_length, 256),
                                  self.device, self.autocast(), deadline=deadline, group=self.group, pacer=self.val_pacer)
        return loss * self.val_per_char, share

    def progress(self) -> float:
        """How far into the run training is: by steps of max_epochs, or by the time budget."""
        total = self.cfg.max_epochs * self._n_batches
        return max(self.step / total, self.time_share)

    def set_lr(self, epoch: int) -> float:
        lr = self.cfg.lr_at(epoch, self.step, self.progress())
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        return lr

    def train_step(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """One optimizer step; its loss stays on the device (reading it would wait for the GPU every step)."""
        loss, self.hidden = self.pacer.timed(lambda: self.step_once(x, y, self.hidden))
        self.step += 1
        return loss

    def window_loss(self, total: torch.Tensor, n: int) -> float:
        """The mean loss of the last n steps, read once (averaged over the ranks), and checked:
        a healthy run starts near ln(V) and falls; far above it, or NaN, training has blown up."""
        value = total.item() / n
        if self.group:  # every rank must take the same decision below
            value = self.group.sum([value], self.device)[0] / self.group.world
        limit = 3.0 * max(math.log(len(self.vocab)), 1.0)
        if not math.isfinite(value) or value > limit:
            raise TrainingDiverged(
                f"training loss became {value:.4g} at epoch {self.position['epoch']} step {self.step - n + 1} "
                f"to {self.step} (their mean; limit {limit:.2f}); lower --learning-rate or --grad-clip. "
                f"The last good state is {self.run_dir / runs.LATEST}"
            )
        return value

    def run(self) -> str:
        """Train until max_epochs, the time budget or Ctrl-C; returns why it stopped. The log's
        last row says the run ended and why ("done", "interrupted", "time budget", "failed")."""
        why = "failed"
        try:
            with self.budget.ctrl_c():
                why = self._run()
            return why
        finally:
            self.log(type="end", step=self.step, why=why)

    def _run(self) -> str:
        cfg = self.cfg
        self.model.train()
        while self.position["epoch"] <= cfg.max_epochs:
            epoch = self.position["epoch"]
            stopped = self._train_epoch(epoch)
            if stopped:
                return self._stop(stopped)
            self._end_epoch(epoch, cfg.lr_at(epoch, self.step - 1, self.progress()))
        return "done"

    def _train_epoch(self, epoch: int) -> str | None:
        """The rest of an epoch's batches; why it stopped early ("interrupted", "time budget"), or None."""
        cfg = self.cfg
        batches = self.epoch_batches(epoch)
        self._n_batches = len(batches)
        if self.position["batch"] == 0:
            self.hidden = None
        # This window's losses are summed on the device and read once per --log-every steps.
        window_sum, window_n, window_t = torch.zeros((), device=self.device), 0, time.monotonic()
        bar = tqdm(total=len(batches), initial=self.position["batch"], unit="batch", desc=f"epoch {epoch}/{cfg.max_epochs}",
                   dynamic_ncols=True, leave=False, disable=not self.main)
        with bar:
            for i in range(self.position["batch"], len(batches)):
                lr = self.set_lr(epoch)
                t0 = time.monotonic()
                window_sum += self.train_step(*batches.batch(i))
                window_n += 1
                self.train_seconds += time.monotonic() - t0
                self.position["batch"] = i + 1
                progress = round(epoch - 1 + (i + 1) / len(batches), 4)
                boundary = window_n == cfg.log_every or i + 1 == len(batches)
                # Under DDP the ranks agree on stopping at window ends only: no collective every step.
                stop = self.budget.stop_now() if boundary or not self.group else None
                if boundary or stop:
                    mean = self.window_loss(window_sum, window_n)
                    self.time_share = self.budget.time_share()
                    self.position["loss_sum"] += mean * window_n
                    self.position["loss_n"] += window_n
                    cps = window_n * cfg.batch_size * cfg.seq_length / max(time.monotonic() - window_t, 1e-9)
                    self.log(type="train", epoch=epoch, step=self.step, progress=progress,
                             loss=mean, lr=lr, chars_per_s=round(cps), threads=self.pacer.current)
                    bar.set_postfix(loss=f"{mean:.3f}", chars_s=f"{cps:,.0f}")
                    window_sum, window_n, window_t = torch.zeros((), device=self.device), 0, time.monotonic()
                bar.update(1)
                if cfg.eval_every and self.step % cfg.eval_every == 0 and i + 1 < len(batches):
                    val = self.val_loss()[0]
                    self.log(type="val", epoch=epoch, step=self.step, progress=progress, loss=val)
                    self.say(f"step {self.step}: val loss {val:.4f}")
                if stop:
                    return stop
        return None

    def _end_epoch(self, epoch: int, lr: float) -> None:
        val = self.val_loss()[0]
        train = self.position["loss_sum"] / max(1, self.position["loss_n"])
        self.history.append({"epoch": epoch, "step": self.step, "train_loss": train, "val_loss": val,
                             "lr": lr, "train_seconds": round(self.train_seconds, 1)})
        self.log(type="val", epoch=epoch, step=self.step, progress=float(epoch), loss=val, train_loss=train)
        path = self.run_dir / runs.epoch_filename(epoch, val)
        if self.main:
            ckpt_io.atomic_save(self.checkpoint(epoch, train, val), path)
        self.position, self.hidden = {"epoch": epoch + 1, "batch": 0, "loss_sum": 0.0, "loss_n": 0}, None
        self.save_latest()
        best = runs.mark_best(self.run_dir) if self.main else None
        tag = " (best)" if best == path else ""
        self.say(f"epoch {epoch}/{self.cfg.max_epochs}: train {train:.4f}  val {val:.4f} nats/char "
                 f"({val / math.log(2):.3f} bits)  -> {path}{tag}")

    def _stop(self, why: str) -> str:
        if why == "time budget":
            # A budget run is often a comparison: leave a val loss at the point it stopped,
            # on as much of the val split as the budget's last tenth allows, and say how much.
            val, share = self.val_loss(deadline=self.budget.deadline)
            self.log(type="val", epoch=self.position["epoch"], step=self.step, loss=val, budget_stop=True, val_share=round(share, 4),
                     progress=round(self.position["epoch"] - 1 + self.position["batch"] / max(1, self._n_batches), 4))
            scope = "the whole val split" if share >= 1 else f"{share:.0%} of the val split (all the budget left time for)"
            self.say(f"val loss at the end of the budget: {val:.4f} nats/char, on {scope}")
        path = self.save_latest()
        self.say(f"{why}: saved resumable state at epoch {self.position['epoch']} batch {self.position['batch']} "
                 f"to {path}; continue with: python -m charlm.train --resume {self.run_dir}")
        return why

    def checkpoint(self, epoch: int, train_loss: float | None, val_loss: float | None) -> dict:
        return ckpt_io.make(self.model, self.vocab, epoch=epoch, step=self.step, train_loss=train_loss, val_loss=val_loss,
                            history=self.history, train_config=self.cfg.to_dict(), data_sha256=self.data_sha256,
                            train_seconds=self.train_seconds)

    def save_latest(self) -> Path:
        """latest.pt, written by rank 0; every rank calls it (the streams' state is gathered)."""
        hidden = distributed.all_rows(self.group, self.hidden)
        path = self.run_dir / runs.LATEST
        if not self.main:
            return path
        last = self.history[-1] if self.history else {}
        state = self.checkpoint(last.get("epoch", 0), last.get("train_loss"), last.get("val_loss"))
        state["resume"] = ckpt_io.resume_part(self.optimizer, self.position, hidden, self.device)
        ckpt_io.atomic_save(state, path)
        return path

