import re

from conftest import run_module


def test_bench_prints_a_table_of_sampling_and_training_rates():
    proc = run_module("charlm.bench", "--sizes", "1x32", "--seconds", "0.2", "--batch-size", "4", "--seq-length", "16")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert re.search(r"torch threads \(\d+ cores\), torch \S+", out)
    assert "command: python -m charlm.bench --sizes 1x32" in out
    rows = [line for line in out.splitlines() if line.startswith("| lstm 1x32")]
    assert len(rows) == 6
    for row in rows:
        rate = float(row.split("|")[3].replace(",", ""))
        assert rate > 0
    assert any("x naive" in r for r in rows) and any("x bare" in r for r in rows)


def test_bench_rejects_a_bad_size():
    proc = run_module("charlm.bench", "--sizes", "big")
    assert proc.returncode == 2 and "LAYERSxUNITS" in proc.stderr
