"""torchrun with DistributedDataParallel on CPU (gloo): the same training as one process, split over two."""

import os
import re
import subprocess
import sys

import pytest

from charlm import checkpoint as ckpt_io
from conftest import ROOT, run_module

# No dropout, so that both runs draw nothing at random after the (seeded, identical) initial weights.
COMMON = ["--rnn-size", "32", "--num-layers", "2", "--batch-size", "8", "--seq-length", "32", "--dropout", "0",
          "--log-every", "5"]
# One process averages the gradient of 8 streams at once; DDP averages two means of 4, summed by
# gloo in another order. Float32 rounding differs by ~1e-7 a step; over 200 Adam steps the val
# losses agree to about 1e-7 (measured); 1e-4 leaves room and still catches any real difference
# (a rank reading the wrong streams, or gradients not averaged, moves the loss by > 1e-2).
TOLERANCE = 1e-4


# The process group meets on a port torchrun picks free and then binds: on a busy machine
# another process can take it in between. That, and only that, is worth a second try.
PORT_TROUBLE = re.compile(r"address already in use|EADDRINUSE|DistNetworkError|RendezvousConnectionError", re.I)


def torchrun(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "charlm.train", *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0 and PORT_TROUBLE.search(proc.stderr):
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    return proc


def val_losses(run):
    return [h["val_loss"] for h in ckpt_io.load(run / "latest.pt")["history"]]


def test_ddp_on_two_processes_trains_as_one_process_with_the_same_global_batch(small_corpus, tmp_path):
    runs = tmp_path / "runs"
    common = ["--data", str(small_corpus), "--checkpoint-dir", str(runs), *COMMON]
    one = run_module("charlm.train", *common, "--run-name", "one", "--max-epochs", "2")
    assert one.returncode == 0, one.stderr
    two = torchrun(*common, "--run-name", "two", "--max-epochs", "2")
    assert two.returncode == 0, two.stderr
    assert "x 2 processes (DDP)" in two.stdout and two.stdout.count("run two:") == 1  # rank 0 speaks alone
    assert val_losses(runs / "two") == pytest.approx(val_losses(runs / "one"), abs=TOLERANCE)
    # Rank 0 alone wrote, and wrote the single-process format.
    assert sorted(p.name for p in runs.iterdir()) == ["one", "two"]
    names = lambda run: sorted(p.name for p in (runs / run).iterdir())  # noqa: E731
    assert names("one") == names("two")
    a, b = ckpt_io.load(runs / "one" / "latest.pt"), ckpt_io.load(runs / "two" / "latest.pt")
    assert sorted(a) == sorted(b) and sorted(a["resume"]) == sorted(b["resume"])
    assert {k: v.shape for k, v in a["model_state"].items()} == {k: v.shape for k, v in b["model_state"].items()}
    # --resume works under DDP, and continues as the single process does.
    assert run_module("charlm.train", "--resume", str(runs / "one"), "--max-epochs", "3").returncode == 0
    again = torchrun("--resume", str(runs / "two"), "--max-epochs", "3")
    assert again.returncode == 0, again.stderr
    assert val_losses(runs / "two") == pytest.approx(val_losses(runs / "one"), abs=TOLERANCE)


def test_a_batch_that_does_not_split_evenly_is_refused(small_corpus, tmp_path):
    proc = torchrun("--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), *COMMON, "--batch-size", "7")
    assert proc.returncode != 0 and "--batch-size 7 must be a multiple of the 2 processes" in proc.stderr


def test_the_transformer_trains_under_ddp_as_in_one_process(small_corpus, tmp_path):
    """With Muon, whose orthogonalized step each rank computes alone from the averaged gradient, and
    its header in view: each rank's windows carry their own postings' headers."""
    runs = tmp_path / "runs"
    common = ["--data", str(small_corpus), "--checkpoint-dir", str(runs), "--model", "transformer", "--rnn-size", "32",
              "--num-layers", "2", "--n-head", "2", "--block-size", "64", "--header-slots", "64", "--batch-size", "8",
              "--dropout", "0",
              "--log-every", "5", "--max-epochs", "2", "--optimizer", "muon"]
    one = run_module("charlm.train", *common, "--run-name", "one")
    assert one.returncode == 0, one.stderr
    two = torchrun(*common, "--run-name", "two")
    assert two.returncode == 0, two.stderr
    assert "x 2 processes (DDP)" in two.stdout
    assert val_losses(runs / "two") == pytest.approx(val_losses(runs / "one"), abs=TOLERANCE)
