import json
import statistics

from conftest import run_module


def test_evaluate_prints_every_figure(tiny_run):
    proc = run_module("charlm.evaluate", str(tiny_run / "best.pt"), "-n", "4", "--length", "1500")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for piece in ["val split: 6 postings", "val loss:", "nats/char", "bits/char", "gzip", "bz2", "lzma",
                  "4 samples (temperature 0.95", "real words on", "well-formed HTML:", "title/company/location frame:",
                  "words found in train vocabulary:", "copies > 200 chars from the corpus:",
                  "median longest verbatim copy:", "copy share", "median length:", "real val", "cut off at the length cap:"]:
        assert piece in out, piece
    assert "sampling" in proc.stderr  # the progress bars


def test_evaluate_json_has_the_documented_keys_and_the_training_val_loss(tiny_run, tmp_path):
    proc = run_module("charlm.evaluate", str(tiny_run / "best.pt"), "-n", "3", "--length", "800", "--json",
                      "--no-compression", "--samples", str(tmp_path / "samples.html"))
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    kept = (tmp_path / "samples.html").read_text()  # for jobclass.predict --agreement
    assert kept.startswith("<html>") and kept.count("<html>") == 3
    for key in ["val_loss", "val_bpc", "well_formed", "frame", "vocab_words", "copy_rate", "median_longest_copy"]:
        assert key in r
    for key in ["well_formed", "frame", "vocab_words", "copy_rate", "cut_off", "copy_share", "val_copy_share"]:
        assert 0.0 <= r[key] <= 1.0
    assert r["settings"]["real_words"] is True and r["settings"]["temperature"] == 0.95  # the family's defaults
    assert r["val_median_length"] == statistics.median(len(d) for d in val_postings(tiny_run))
    # The same split as training: the val loss matches the one the checkpoint was named by.
    best = (tiny_run / "best.pt").resolve().name
    assert f"{r['val_loss']:.4f}" == best.split("_val")[1][:-3]


def val_postings(run) -> list[str]:
    from charlm import checkpoint as ckpt_io
    from charlm.data import read_corpus

    ckpt = ckpt_io.load(run / "best.pt")
    return ckpt_io.training_split(ckpt, read_corpus(ckpt["train_config"]["data"])).val


def test_bad_truncation_is_refused_before_any_slow_work(tiny_run):
    for flag, value, why in (("--top-p", "0", "--top-p must be in (0, 1]"), ("--top-p", "1.5", "--top-p must be in"),
                             ("--min-p", "1", "--min-p must be in [0, 1)"), ("--min-p", "-0.1", "--min-p must be in"),
                             ("--temperature", "0", "--temperature must be between 0.1 and 2.0, got 0.0"),
                             ("--threads", "0", "--threads must be 1-1024, got 0")):
        proc = run_module("charlm.evaluate", str(tiny_run / "best.pt"), flag, value)
        assert proc.returncode == 2 and why in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert "val loss" not in proc.stderr  # refused before the val split is scored (issue 39 #3)


def test_evaluate_bad_input(tiny_run, tmp_path):
    missing = run_module("charlm.evaluate", str(tmp_path / "none.pt"))
    assert missing.returncode == 2 and "not found" in missing.stderr
    (tmp_path / "other.txt").write_text("<html>\n<p>zebra ✓</p>\n</html>\n" * 5)
    other = run_module("charlm.evaluate", str(tiny_run / "best.pt"), "--data", str(tmp_path / "other.txt"), "-n", "1")
    assert other.returncode == 2 and "lacks" in other.stderr and "Traceback" not in other.stderr


def test_evaluate_reports_realism_and_can_skip_the_val_loss_of_a_transformer(tiny_transformer_run):
    proc = run_module("charlm.evaluate", str(tiny_transformer_run / "best.pt"), "-n", "6", "--length", "300",
                      "--no-val", "--no-compression", "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert "val_loss" not in r and r["model"] == "transformer 2x32, 2 heads, window 64, header in view (64 slots)"
    for kind in ("char", "word", "doc"):
        generated, control = r["realism"]["generated"][kind], r["realism"]["control"][kind]
        assert generated["n"] == control["n"] == 6
        assert 0.0 <= control["accuracy"] <= 1.0 and 0.0 <= generated["accuracy"] <= 1.0
    assert r["realism"]["generated"]["char"]["accuracy"] >= 0.5  # a 3-epoch toy reads as made up
    assert len(r["realism"]["tells"]) == 10 and {f["feature"] for f in r["realism"]["features"]} >= {"length"}
    text = run_module("charlm.evaluate", str(tiny_transformer_run / "best.pt"), "-n", "5", "--length", "200",
                      "--realism")
    assert "val loss: not scored (--no-val)" in text.stdout and "word 1-2-grams + LR" in text.stdout
    assert "what gives them away most" in text.stdout and "gzip" not in text.stdout
    both = run_module("charlm.evaluate", str(tiny_transformer_run / "best.pt"), "--no-val", "--precision", "fp32")
    assert both.returncode == 2 and "needs the val split" in both.stderr


def test_ctrl_c_while_sampling_prints_what_was_done_and_exits_130(tiny_run):
    # Issue 28 #15: killing evaluate printed nothing of what it had done.
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time

    from conftest import ROOT

    proc = subprocess.Popen([sys.executable, "-m", "charlm.evaluate", str(tiny_run / "best.pt"), "-n", "10000",
                             "--length", "20000", "--no-compression"], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.extend(iter(lambda: proc.stderr.read(1), "")), daemon=True)
    reader.start()
    deadline = time.monotonic() + 300
    while "sampling" not in "".join(err) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert "sampling" in "".join(err), "".join(err)[-2000:]
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "val loss: " in out and "nats/char" in out and "interrupted: Ctrl-C" in out
    assert "well-formed" not in out  # the samples were not done: no figure of them is made up
