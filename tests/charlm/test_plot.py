from charlm.plot import plot_run, read_metrics
from conftest import run_module


def test_plot_writes_a_png_of_the_loss_curves(tiny_run, tmp_path):
    out = plot_run(tiny_run, tmp_path / "loss.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    rows = read_metrics(tiny_run)
    assert any(r["type"] == "train" for r in rows) and sum(r["type"] == "val" for r in rows) == 3


def test_plot_cli_on_a_folder_without_a_run(tmp_path):
    proc = run_module("charlm.plot", str(tmp_path))
    assert proc.returncode == 2
    assert "metrics.jsonl not found" in proc.stderr and "Traceback" not in proc.stderr


def test_plot_cli_to_an_impossible_place_is_one_clear_line(tiny_run, tmp_path):
    (tmp_path / "afile").write_text("x")
    proc = run_module("charlm.plot", str(tiny_run), "--out", str(tmp_path / "afile" / "loss.png"))
    assert proc.returncode == 2 and "a file stands where a folder must be" in proc.stderr
    assert "Traceback" not in proc.stderr
