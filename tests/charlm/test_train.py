import json
import math
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import torch

from charlm import checkpoint as ckpt_io
from charlm import runs
from charlm.errors import TrainingDiverged
from dreamjobs.cli import run_cli
from charlm.sampling.generator import Generator
from charlm.train import main
from charlm.training.trainer import Trainer
from conftest import REPEATED_POSTING, ROOT, TINY, TINY_TRANSFORMER, make_corpus, run_module


def cli(*args):
    """main() behind run_cli, as `python -m charlm.train` runs it: (exit code, stderr)."""
    with pytest.raises(SystemExit) as exc:
        run_cli(lambda: main(list(args)))
    return exc.value.code


def val_losses(run_dir):
    return [h["val_loss"] for h in ckpt_io.load(run_dir / "latest.pt")["history"]]


def test_warmup_ramps_the_rate_step_by_step_in_the_run(small_corpus, tmp_path):
    assert main(["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), "--run-name", "warm", *TINY,
                 "--log-every", "1", "--max-epochs", "1", "--learning-rate", "0.01", "--warmup-steps", "8"]) == 0
    lines = [json.loads(line) for line in (tmp_path / "warm" / "metrics.jsonl").read_text().splitlines()]
    rates = [m["lr"] for m in lines if m["type"] == "train"]
    assert rates[:10] == pytest.approx([0.01 * k / 8 for k in range(1, 9)] + [0.01, 0.01])


def test_compiled_step_trains_as_the_eager_one_and_saves_the_same_checkpoint(small_corpus, tmp_path):
    # Without dropout both runs compute the same function; the compiled readout only sums in
    # another order. After this run's 67 steps that float32 rounding measured 1.3e-7 in the
    # val loss and 1e-6 in the weights, 100x inside the 1e-4 allowed here.
    from torch._dynamo.utils import counters

    common = ["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), *TINY, "--dropout", "0",
              "--max-epochs", "1", "--learning-rate", "0.01"]
    assert main([*common, "--run-name", "eager"]) == 0
    counters.clear()
    assert main([*common, "--run-name", "compiled", "--compile"]) == 0
    assert counters["stats"]["unique_graphs"] == 1 and not counters["graph_break"]  # one graph, nothing left eager
    eager, compiled = (ckpt_io.load(tmp_path / name / "latest.pt") for name in ("eager", "compiled"))
    assert compiled["train_config"]["compile"] and not eager["train_config"]["compile"]
    assert compiled["model_state"].keys() == eager["model_state"].keys()
    assert compiled["history"][0]["val_loss"] == pytest.approx(eager["history"][0]["val_loss"], abs=1e-4)
    for name, weights in compiled["model_state"].items():
        assert torch.allclose(weights, eager["model_state"][name], atol=1e-4), name


def test_cli_writes_a_checkpoint_per_epoch_named_by_val_loss(small_corpus, tmp_path):
    out = tmp_path / "run"
    proc = run_module("charlm.train", "--data", str(small_corpus), "--rnn-size", "64", "--num-layers", "2",
                      "--max-epochs", "3", "--checkpoint-dir", str(out))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"split by posting: train 54 postings .* val 6 postings", proc.stdout)
    (run_dir,) = out.iterdir()
    assert f"run {run_dir.name}" in proc.stdout
    found = runs.epoch_checkpoints(run_dir)
    assert [epoch for epoch, _, _ in found] == [1, 2, 3]
    for epoch, val_in_name, path in found:
        ckpt = ckpt_io.load(path)
        assert ckpt["epoch"] == epoch
        assert round(ckpt["val_loss"], 4) == val_in_name
    best = min(found, key=lambda f: f[1])[2]
    assert (run_dir / "best.pt").resolve() == best.resolve()
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert {r["type"] for r in rows} == {"train", "val", "end"}
    assert [r["epoch"] for r in rows if r["type"] == "val"] == [1, 2, 3]
    assert rows[-1]["type"] == "end" and rows[-1]["why"] == "done"  # what the gallery reads "training now" from

    sample = run_module("charlm.sample", str(found[0][2]), "--length", "200", "--seed", "1")
    assert sample.returncode == 0, sample.stderr
    assert sample.stdout.startswith("<html>") and len(sample.stdout) > 100


def test_checkpoint_holds_everything_to_sample_alone(tiny_run):
    ckpt = torch.load(tiny_run / "best.pt", map_location="cpu", weights_only=True)
    assert ckpt["config"] == {"vocab_size": len(ckpt["vocab"]), "model": "lstm", "rnn_size": 48,
                              "num_layers": 2, "dropout": 0.5}
    assert ckpt["epoch"] in (1, 2, 3) and ckpt["step"] > 0
    assert math.isfinite(ckpt["train_loss"]) and math.isfinite(ckpt["val_loss"])
    assert [h["epoch"] for h in ckpt["history"]] == list(range(1, ckpt["epoch"] + 1))
    assert all(t.device.type == "cpu" and t.dtype == torch.float32 for t in ckpt["model_state"].values())
    assert "resume" not in ckpt  # per-epoch files stay small: no optimizer state
    latest = torch.load(tiny_run / "latest.pt", map_location="cpu", weights_only=True)
    assert latest["resume"]["position"] == {"epoch": 4, "batch": 0, "loss_sum": 0.0, "loss_n": 0}
    assert Generator.from_checkpoint(tiny_run / "best.pt").sample(seed=1, max_length=50).startswith("<html>")


def test_tiny_model_memorizes_a_repeated_posting(tmp_path):
    # 40 copies of one posting: after the first copy every character is determined by
    # what came before, so the entropy is ~0. A uniform guess costs ln(V) = 3.6 nats;
    # a model below 0.1 nats/char predicts over 90% of characters with near certainty.
    data = tmp_path / "rep.txt"
    data.write_text(REPEATED_POSTING * 40)
    assert main(["--data", str(data), "--checkpoint-dir", str(tmp_path), "--run-name", "rep",
                 "--rnn-size", "64", "--num-layers", "2", "--dropout", "0", "--batch-size", "8",
                 "--seq-length", "32", "--learning-rate", "0.01", "--max-epochs", "8"]) == 0
    history = ckpt_io.load(tmp_path / "rep" / "latest.pt")["history"]
    assert history[-1]["val_loss"] < 0.1 < history[0]["train_loss"]
    gen = Generator.from_checkpoint(tmp_path / "rep" / "best.pt")
    # (max_copy=None: the copy guard of charlm/sampling/copy_guard.py would stop the recital, as it should)
    assert gen.sample(argmax=True, max_length=1000, max_copy=None) == REPEATED_POSTING.rstrip("\n")


# The transformer's cosine runs over --max-epochs, so its runs of 2 and 4 epochs share a schedule only on steps.
# Bit for bit needs one thread count throughout: paced threads change the order of sums.
@pytest.mark.parametrize("family", [[*TINY, "--threads", "1"],
                                    [*TINY_TRANSFORMER, "--block-size", "64", "--header-slots", "64",
                                     "--lr-schedule", "step", "--swap-companies", "0.5", "--company-slot",
                                     "--threads", "1"],
                                    [*TINY_TRANSFORMER, "--block-size", "64", "--header-slots", "64",
                                     "--lr-schedule", "step", "--company-slot", "--dropout", "0",
                                     "--optimizer", "muon", "--threads", "2"]],
                         ids=["lstm", "transformer with its header in view, companies swapped and slotted",
                              "transformer with its header in view, its rows split across 2 threads, Muon"])
def test_resume_with_more_epochs_ends_where_the_uninterrupted_run_ends(family, small_corpus, tmp_path):
    common = ["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), *family]
    assert main([*common, "--run-name", "whole", "--max-epochs", "4"]) == 0
    assert main([*common, "--run-name", "split", "--max-epochs", "2"]) == 0
    assert len(runs.epoch_checkpoints(tmp_path / "split")) == 2
    assert main(["--resume", str(tmp_path / "split"), "--max-epochs", "4"]) == 0
    assert val_losses(tmp_path / "split") == val_losses(tmp_path / "whole")
    assert len(runs.epoch_checkpoints(tmp_path / "split")) == 4


def test_ctrl_c_mid_epoch_saves_a_state_that_resumes_exactly(small_corpus, tmp_path, monkeypatch, capsys):
    common = ["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), "--max-epochs", "2",
              "--eval-every", "10", *TINY]
    assert main([*common, "--run-name", "whole"]) == 0

    real_step = Trainer.train_step

    def step_then_ctrl_c(self, x, y):
        loss = real_step(self, x, y)
        if self.step == 13:  # mid-epoch 1: hidden state, optimizer and RNG all in flight
            os.kill(os.getpid(), signal.SIGINT)
        return loss

    monkeypatch.setattr(Trainer, "train_step", step_then_ctrl_c)
    assert main([*common, "--run-name", "cut"]) == 130
    assert "continue with: python -m charlm.train --resume" in capsys.readouterr().out
    latest = ckpt_io.load(tmp_path / "cut" / "latest.pt")
    assert latest["resume"]["position"]["epoch"] == 1 and latest["resume"]["position"]["batch"] == 13
    assert runs.epoch_checkpoints(tmp_path / "cut") == []

    monkeypatch.setattr(Trainer, "train_step", real_step)
    assert main(["--resume", str(tmp_path / "cut")]) == 0
    assert val_losses(tmp_path / "cut") == val_losses(tmp_path / "whole")
    steps = [json.loads(l)["step"] for l in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(steps)  # the log never repeats a stretch after a resume


def test_ctrl_c_on_the_command_line_exits_cleanly_with_a_resumable_state(small_corpus, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "charlm.train", "--data", str(small_corpus), "--checkpoint-dir", str(tmp_path),
         "--run-name", "live", "--max-epochs", "1000", *TINY],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    metrics = tmp_path / "live" / "metrics.jsonl"
    deadline = time.monotonic() + 180
    while not (metrics.exists() and metrics.read_text().count("\n") >= 3) and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "saved resumable state" in out
    assert ckpt_io.load(tmp_path / "live" / "latest.pt")["resume"]["position"]["epoch"] >= 1


def test_time_budget_stops_with_a_resumable_state(small_corpus, tmp_path, capsys):
    assert main(["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), "--run-name", "short",
                 "--max-minutes", "0.0001", *TINY]) == 0
    out = capsys.readouterr().out
    assert "val loss at the end of the budget" in out and "time budget: saved resumable state" in out
    latest = ckpt_io.load(tmp_path / "short" / "latest.pt")
    # Stopped within the first epoch (a tiny budget allows a step or two), resumable from there.
    assert latest["resume"]["position"]["epoch"] == 1 and latest["resume"]["position"]["batch"] == latest["step"] >= 1
    assert runs.epoch_checkpoints(tmp_path / "short") == []
    rows = [json.loads(line) for line in (tmp_path / "short" / "metrics.jsonl").read_text().splitlines()]
    closing = [r for r in rows if r.get("budget_stop")]
    assert len(closing) == 1 and 0 < closing[0]["val_share"] <= 1


def test_nan_loss_stops_with_a_clear_message(small_corpus, tmp_path, monkeypatch):
    real_forward = torch.nn.Linear.forward
    monkeypatch.setattr(torch.nn.Linear, "forward", lambda self, x: real_forward(self, x) * float("nan"))
    with pytest.raises(TrainingDiverged, match=r"loss became nan at epoch 1 step 1.*lower --learning-rate"):
        main(["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), *TINY])


def test_init_from_starts_a_new_run_from_the_weights(tiny_run, small_corpus, tmp_path):
    assert main(["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), "--run-name", "fine",
                 "--init-from", str(tiny_run / "best.pt"), "--max-epochs", "1", "--rnn-size", "999", *TINY[2:]]) == 0
    ckpt = ckpt_io.load(tmp_path / "fine" / "latest.pt")
    assert ckpt["config"]["rnn_size"] == 48  # the checkpoint's shape wins
    fresh_first_epoch = ckpt_io.load(tiny_run / "latest.pt")["history"][0]["val_loss"]
    assert ckpt["history"][0]["val_loss"] < fresh_first_epoch


def test_a_fine_tune_records_its_lineage_resolved(tiny_run, small_corpus, tmp_path):
    # Issue 39 #7: a fine-tune's "epoch 1" continues a longer run; best.pt is resolved to its
    # file, so a later run that replaces best.pt does not make the record point at itself.
    common = ["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), "--max-epochs", "1", *TINY[2:]]
    assert main([*common, "--run-name", "fine", "--init-from", str(tiny_run / "best.pt")]) == 0
    assert main([*common, "--run-name", "finer", "--init-from", str(tmp_path / "fine" / "best.pt")]) == 0
    first = runs.read_origin(tmp_path / "fine")
    best = (tiny_run / "best.pt").resolve()
    assert first["run"] == "tiny" and first["checkpoint"] == best.name and first["before"] is None
    assert [e for e, _ in first["epochs"]] == [1, 2, 3]  # the parent's val curve, for the chart
    second = runs.read_origin(tmp_path / "finer")
    assert second["run"] == "fine" and second["before"] == first
    assert runs.epochs_before(second) == runs.epochs_before(first) + 1 == ckpt_io.load(best)["epoch"] + 1
    assert ckpt_io.origin(tmp_path / "fine" / "best.pt") == f"fine-tuned from tiny epoch {first['epoch']}"
    assert ckpt_io.origin(tmp_path / "finer" / "best.pt") == (f"fine-tuned from fine epoch 1; "
                                                              f"{first['epoch'] + 1} epochs before it")


def test_init_from_a_transformer_without_a_header_keeps_its_loss_and_learns_one(small_corpus, tmp_path):
    """--header-slots on a checkpoint without: its gates start at zero, so the run starts at its loss."""
    common = ["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), *TINY_TRANSFORMER, "--dropout", "0",
              "--block-size", "64", "--max-epochs", "1"]
    assert main([*common, "--run-name", "plain"]) == 0
    plain = ckpt_io.load(tmp_path / "plain" / "best.pt")
    assert main([*common, "--run-name", "header", "--init-from", str(tmp_path / "plain" / "best.pt"),
                 "--header-slots", "64", "--learning-rate", "1e-12", "--min-lr", "0"]) == 0
    header = ckpt_io.load(tmp_path / "header" / "best.pt")
    assert header["config"]["header_slots"] == 64 and "blocks.0.attn.header_gate" in header["model_state"]
    assert header["history"][0]["val_loss"] == pytest.approx(plain["history"][0]["val_loss"], abs=1e-4)


@pytest.mark.parametrize("case, message", [
    ("missing", "not found. Build one with the scraper"),
    ("empty", "is empty"),
    ("one posting", "needs at least 2"),
    ("too small", "too few for one batch"),
    ("bad number", "--rnn-size must be at least 1"),
    ("corrupt resume", "is not a readable checkpoint"),
    ("resume epoch file", "without optimizer state"),
    ("resume changes size", "--rnn-size cannot change when resuming"),
    ("corpus changed", "changed since this run started"),
    ("vocab mismatch", "vocabulary mismatch"),
    ("run exists", "already holds a run"),
    ("nan learning rate", "--learning-rate must be a positive number, got nan"),
    ("nan budget", "--max-minutes must be a positive number, got nan"),
    ("negative budget", "--max-minutes must be a positive number, got -1.0"),
    ("escaping run name", "--run-name must be a plain folder name inside --checkpoint-dir"),
    ("output under a file", "a file stands where a folder must be"),
    ("header slots off the tiles", "--header-slots must be a multiple of 16 from 0 to the block_size (256), got 20"),
    ("header for an lstm", "--header-slots keeps a transformer's header in view; the lstm has none"),
    ("header in plain text", "the corpus is not in the posting format"),
    ("no threads", "--threads must be 1-1024, got 0"),
    ("swap share over one", "--swap-companies must be a share in [0, 1], got 1.5"),
    ("swap in plain text", "--swap-companies renames each posting's company, but the corpus's postings have no frame"),
    ("slot in plain text", "--company-slot writes a slot for each posting's company, but the corpus's postings have no"),
])
def test_bad_input_gets_one_clear_line_and_exit_2(case, message, tiny_run, small_corpus, tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    args = ["--data", str(bad), "--checkpoint-dir", str(tmp_path / "out"), *TINY]
    if case == "empty":
        bad.write_text("")
    elif case == "one posting":
        bad.write_text(make_corpus(1))
    elif case == "too small":
        bad.write_text(make_corpus(3))
        args += ["--batch-size", "50", "--seq-length", "100"]
    elif case == "bad number":
        args = ["--data", str(small_corpus), "--rnn-size", "0"]
    elif case == "corrupt resume":
        (tmp_path / "latest.pt").write_bytes(b"PK\x03\x04 not really a zip")
        args = ["--resume", str(tmp_path)]
    elif case == "resume epoch file":
        args = ["--resume", str(runs.epoch_checkpoints(tiny_run)[0][2])]
    elif case == "resume changes size":
        args = ["--resume", str(tiny_run), "--rnn-size", "64"]
    elif case == "corpus changed":
        run = tmp_path / "copy"
        run.mkdir()
        state = ckpt_io.load(tiny_run / "latest.pt")
        bad.write_text(make_corpus(60, seed=1))  # same layout and vocabulary, different text
        state["train_config"]["data"] = str(bad)
        ckpt_io.atomic_save(state, run / "latest.pt")
        args = ["--resume", str(run), "--max-epochs", "5"]
    elif case == "vocab mismatch":
        bad.write_text(make_corpus(20).replace("a", "ä"))
        args += ["--init-from", str(tiny_run / "best.pt")]
    elif case == "run exists":
        args = ["--data", str(small_corpus), "--checkpoint-dir", str(tiny_run.parent), "--run-name", tiny_run.name]
    elif case == "nan learning rate":
        args = ["--data", str(small_corpus), "--learning-rate", "nan"]
    elif case == "nan budget":
        args = ["--data", str(small_corpus), "--max-minutes", "nan"]
    elif case == "negative budget":
        args = ["--data", str(small_corpus), "--max-minutes", "-1"]
    elif case == "escaping run name":
        args = ["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path / "out"), "--run-name", "../escape"]
    elif case == "output under a file":
        (tmp_path / "afile").write_text("x")
        args = ["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path / "afile" / "runs"), *TINY]
    elif case == "header slots off the tiles":
        args = ["--data", str(small_corpus), "--model", "transformer", "--header-slots", "20"]
    elif case == "no threads":
        args = ["--data", str(small_corpus), "--threads", "0"]
    elif case == "swap share over one":
        args = ["--data", str(small_corpus), "--swap-companies", "1.5"]
    elif case == "swap in plain text":
        bad.write_text("plain text, a paragraph.\n\nAnother paragraph of it.\n\n" * 40)
        args = ["--data", str(bad), "--checkpoint-dir", str(tmp_path / "out"), *TINY, "--swap-companies", "0.5"]
    elif case == "slot in plain text":
        bad.write_text("plain text, a paragraph.\n\nAnother paragraph of it.\n\n" * 40)
        args = ["--data", str(bad), "--checkpoint-dir", str(tmp_path / "out"), *TINY, "--company-slot"]
    elif case == "header for an lstm":
        args = ["--data", str(small_corpus), "--header-slots", "16"]
    elif case == "header in plain text":
        bad.write_text("plain text, a paragraph.\n\nAnother paragraph of it.\n\n" * 40)
        args = ["--data", str(bad), "--checkpoint-dir", str(tmp_path / "out"), *TINY_TRANSFORMER, "--header-slots", "16"]
    assert cli(*args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_unknown_device_is_refused_by_the_cli(small_corpus):
    proc = run_module("charlm.train", "--data", str(small_corpus), "--device", "tpu")
    assert proc.returncode == 2
    assert "invalid choice: 'tpu'" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_cuda_without_a_gpu_says_so(small_corpus, capsys):
    assert cli("--data", str(small_corpus), "--device", "cuda") == 2
    assert "no CUDA GPU is available" in capsys.readouterr().err


def launch(args, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "charlm.train", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(predicate, seconds=180):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "the training process never got there"
        time.sleep(0.05)


def debris(run_dir):
    return sorted(p.name for p in run_dir.glob(".*.tmp"))


def test_a_run_killed_before_its_first_save_starts_again_under_its_name(tmp_path):
    data = tmp_path / "big.txt"
    data.write_text(make_corpus(600))  # an epoch of a few seconds: the kill lands before its save
    args = ["--data", str(data), "--checkpoint-dir", str(tmp_path), "--run-name", "early", "--max-epochs", "1", *TINY]
    proc = launch(args, tmp_path)
    metrics = tmp_path / "early" / "metrics.jsonl"
    wait_for(lambda: metrics.exists() and metrics.read_text().count("\n") >= 1)  # it is training
    proc.kill()
    proc.communicate(timeout=180)
    assert not runs.has_saved_state(tmp_path / "early")
    resumed = run_module("charlm.train", "--resume", str(tmp_path / "early"), timeout=600)
    assert resumed.returncode == 2 and "stopped before its first save" in resumed.stderr
    again = run_module("charlm.train", *args, timeout=600)
    assert again.returncode == 0, again.stderr
    assert len(runs.epoch_checkpoints(tmp_path / "early")) == 1 and debris(tmp_path / "early") == []


def test_start_up_clears_a_killed_saves_debris_and_points_best_at_the_best_epoch(tiny_run, tmp_path):
    import shutil

    run = tmp_path / "tiny"
    shutil.copytree(tiny_run, run, symlinks=True)
    (run / ".epoch004_val0.1234.pt.4242.dead.tmp").write_bytes(b"half a checkpoint")
    (run / ".best.pt.tmp").symlink_to("epoch001_val1.9048.pt")
    first = runs.epoch_checkpoints(run)[0][2]
    (run / "best.pt").unlink()
    (run / "best.pt").symlink_to(first.name)  # killed before best.pt moved on
    proc = launch(["--resume", str(run), "--max-epochs", "1000"], tmp_path)
    wait_for(lambda: debris(run) == [] and (run / "best.pt").resolve().name != first.name)
    proc.kill()
    proc.communicate(timeout=180)
    best = min(runs.epoch_checkpoints(run), key=lambda c: c[1])[2]
    assert (run / "best.pt").resolve() == best.resolve()


def test_kill_9_mid_training_then_resume_finishes_with_no_debris_and_the_right_best(small_corpus, tmp_path):
    args = ["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), "--run-name", "k", "--max-epochs", "4",
            *TINY]
    proc = launch(args, tmp_path)
    run = tmp_path / "k"
    wait_for(lambda: len(runs.epoch_checkpoints(run)) >= 1)
    time.sleep(0.3)  # somewhere in epoch 2, maybe mid-save
    proc.kill()
    proc.communicate(timeout=180)
    resumed = run_module("charlm.train", "--resume", str(run), timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    found = runs.epoch_checkpoints(run)
    assert [e for e, _, _ in found] == [1, 2, 3, 4] and debris(run) == []
    assert (run / "best.pt").resolve() == min(found, key=lambda c: c[1])[2].resolve()


def test_keep_layers_fine_tunes_some_of_a_checkpoints_layers_with_its_own_dropout(tiny_transformer_run, small_corpus,
                                                                                  tmp_path, capsys):
    assert main(["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), "--run-name", "shallow",
                 "--init-from", str(tiny_transformer_run / "best.pt"), "--keep-layers", "1", "--dropout", "0",
                 "--max-epochs", "1", "--model", "transformer", "--batch-size", "8"]) == 0
    assert "transformer 1x32" in capsys.readouterr().out
    config = ckpt_io.load(tmp_path / "shallow" / "best.pt")["config"]
    assert (config["num_layers"], config["rnn_size"], config["dropout"]) == (1, 32, 0.0)


@pytest.mark.parametrize("args, message", [
    (["--keep-layers", "0"], "--keep-layers picks layers of the --init-from checkpoint"),
    (["--keep-layers", "0,1,2", "--init-from", "TINY"], "each from 0 to 1 (the checkpoint has 2)"),
])
def test_keep_layers_it_cannot_take_is_one_clear_line(args, message, tiny_run, small_corpus, tmp_path, capsys):
    args = [str(tiny_run / "best.pt") if a == "TINY" else a for a in args]
    assert cli("--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), *TINY, *args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_init_from_weights_of_another_shape_is_one_clear_line(tiny_run, small_corpus, tmp_path, capsys):
    ckpt = ckpt_io.load(tiny_run / "best.pt")
    ckpt["config"]["rnn_size"] = 64  # the weights stay 48 units wide
    odd = tmp_path / "odd.pt"
    ckpt_io.atomic_save(ckpt, odd)
    code = cli("--data", str(small_corpus), "--checkpoint-dir", str(tmp_path / "out"), *TINY, "--init-from", str(odd))
    err = capsys.readouterr().err
    assert code == 2 and "--init-from" in err and "do not fit" in err and err.count("\n") == 1
