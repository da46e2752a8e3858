import re

from charlm.sampling.speed import TEMPERATURE
from conftest import run_module


def test_bench_prints_step_end_to_end_and_training_rates_against_their_baselines():
    proc = run_module("charlm.bench", "--sizes", "1x32", "--seconds", "0.2", "--length", "300",
                      "--batch-size", "4", "--seq-length", "16", "--compile")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert re.search(r"torch threads, sampler up to \d+ threads \(\d+ cores\), torch \S+", out)
    assert "command: python -m charlm.bench --sizes 1x32" in out
    rows = [line for line in out.splitlines() if line.startswith("| lstm 1x32")]
    measures = [r.split("|")[2].strip() for r in rows]
    assert measures[:7] == ["step: naive, the model's forward per character"] + [
        f"step: native {p}, batch {b}{' (total)' if b == 16 else ''}" for p in ("fp32", "fp16", "int8") for b in (1, 16)]
    assert [m.split(": ", 1)[1] for m in measures[7:11]] == [
        "naive loop", "Generator.stream, 1 posting at a time", "Generator.generate(16), total",
        "16 in flight, a finished row starting the next, total"]
    assert all(m.startswith(f"end to end (guard on, T {TEMPERATURE}, length 300") for m in measures[7:11])
    assert [m for m in measures if m.startswith("train")] == [
        f"train (b4 x t16, cpu): {m}" for m in ("project step", "project step, torch.compile",
                                                 "bare nn.LSTM fwd+bwd", "LSTMCell loop fwd+bwd")]
    assert len(rows) == 15
    for row in rows:
        assert float(row.split("|")[3].replace(",", "")) > 0
    assert sum("x naive" in r for r in rows) == 9 and sum("x bare" in r for r in rows) == 4


def test_bench_can_time_training_alone_as_on_a_gpu_host():
    proc = run_module("charlm.bench", "--sizes", "1x32", "--seconds", "0.2", "--batch-size", "4", "--seq-length", "16",
                      "--skip-sampling")
    assert proc.returncode == 0, proc.stderr
    measures = [line.split("|")[2].strip() for line in proc.stdout.splitlines() if line.startswith("| lstm 1x32")]
    assert measures == [f"train (b4 x t16, cpu): {m}" for m in (
        "project step", "bare nn.LSTM fwd+bwd", "LSTMCell loop fwd+bwd")]


def test_bench_rejects_a_bad_size():
    proc = run_module("charlm.bench", "--sizes", "big")
    assert proc.returncode == 2 and "LAYERSxUNITS" in proc.stderr
    for sizes, message in (("99x512", "layers must be 1-16"), ("3x999999", "units 1-8192"), (",", "names no model")):
        proc = run_module("charlm.bench", "--sizes", sizes, "--skip-training")
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    proc = run_module("charlm.bench", "--skip-sampling", "--skip-training")
    assert proc.returncode == 2 and "nothing to measure" in proc.stderr


def test_bench_measures_the_sampler_beside_busy_processes_for_each_thread_setting():
    proc = run_module("charlm.bench", "--sizes", "1x32", "--seconds", "0.2", "--length", "200",
                      "--busy", "0,1", "--threads", "auto,1")
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("|")[1:6] for line in proc.stdout.splitlines() if re.match(r"\| \d busy", line)]
    assert [(r[0].strip(), r[1].strip().split(" ")[0]) for r in rows] == [
        ("0 busy", "auto"), ("0 busy", "1"), ("1 busy", "auto"), ("1 busy", "1")]
    assert all(float(v.replace(",", "")) > 0 for r in rows for v in r[2:5])
    assert re.search(r"1 busy: step \d+\.\d\dx, stream \d+\.\d\dx, x16 \d+\.\d\dx", proc.stdout)


def test_bench_refuses_a_bad_busy_or_threads_list():
    for args in (["--busy", "x"], ["--busy", "-1"], ["--busy", "0", "--threads", "0"]):
        proc = run_module("charlm.bench", "--sizes", "1x32", *args)
        assert proc.returncode == 2 and proc.stderr.startswith("error: --"), (args, proc.stderr)


def test_bench_measures_an_lstm_and_a_transformer_in_one_run_and_gives_the_second_as_a_ratio(tiny_run,
                                                                                             tiny_transformer_run):
    # Issue 27's speed table: the transformer against the LSTM, end to end, in the same run.
    proc = run_module("charlm.bench", "--checkpoint", str(tiny_run / "best.pt"), "--checkpoint",
                      str(tiny_transformer_run / "best.pt"), "--seconds", "0.3", "--length", "300", "--skip-training")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    transformer_rows = [line for line in out.splitlines() if "(transformer 2x32)" in line]
    assert any("step: native int8, batch 16 (total)" in r for r in transformer_rows)
    assert any("native int8): Generator.stream" in r and "first character after" in r for r in transformer_rows)
    assert re.search(r"end to end, against \S+ \(LSTM 2x48\):\n  \S+ \(transformer 2x32\): stream \d+\.\d\dx, "
                     r"generate\(16\) \d+\.\d\dx, 16 in flight \d+\.\d\dx; first character after \d\.\d{3} s", out)
