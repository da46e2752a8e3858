import torch

from charlm import checkpoint as ckpt_io
from charlm import runs
from charlm.sampling.generator import Generator
from conftest import run_module


def test_export_ships_chosen_epochs_in_half_precision(tiny_run, tmp_path):
    out = tmp_path / "demo"
    proc = run_module("charlm.export", str(tiny_run), str(out), "--epochs", "1,best")
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in out.iterdir())
    best = (tiny_run / "best.pt").resolve().name
    assert "metrics.jsonl" in names and "best.pt" in names and "latest.pt" not in names
    assert "profile.json.gz" in names  # the known words travel with it: a shipped run samples guarded without its corpus
    assert best in names and any(n.startswith("epoch001_") for n in names)
    raw = torch.load(out / best, weights_only=True)
    assert all(v.dtype == torch.float16 for v in raw["model_state"].values() if v.is_floating_point())
    assert (out / best).stat().st_size < (tiny_run / best).stat().st_size
    assert Generator.from_checkpoint(out / "best.pt").sample(seed=1, max_length=50).startswith("<html>")
    assert [e for e, _, _ in runs.epoch_checkpoints(out)][0] == 1


def test_export_refuses_an_unknown_epoch(tiny_run, tmp_path):
    proc = run_module("charlm.export", str(tiny_run), str(tmp_path / "x"), "--epochs", "99")
    assert proc.returncode == 2 and "no epoch 99" in proc.stderr


def test_export_refuses_no_epochs_and_an_output_under_a_file(tiny_run, tmp_path):
    proc = run_module("charlm.export", str(tiny_run), str(tmp_path / "x"), "--epochs", "")
    assert proc.returncode == 2 and "--epochs names no epoch" in proc.stderr
    (tmp_path / "afile").write_text("x")
    proc = run_module("charlm.export", str(tiny_run), str(tmp_path / "afile" / "out"))
    assert proc.returncode == 2 and "a file stands where a folder must be" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_export_prunes_the_header_gates_under_a_threshold(tiny_transformer_run, tiny_run, tmp_path):
    from charlm.models.header import GATE_GAIN, HEADER_GATE

    raw = torch.load(tiny_transformer_run / "best.pt", weights_only=False)["model_state"]
    gates = {k: v.float() * GATE_GAIN for k, v in raw.items() if k.endswith(HEADER_GATE)}
    below = torch.cat(list(gates.values())).abs().median().item()  # about half the heads fall under it
    out = tmp_path / "pruned"
    proc = run_module("charlm.export", str(tiny_transformer_run), str(out), "--epochs", "best",
                      "--prune-header-gates", str(below))
    assert proc.returncode == 0, proc.stderr
    shipped = torch.load(out / "best.pt", weights_only=False)
    assert shipped["pruned_header_gates"] == below
    for key, gate in gates.items():
        kept = shipped["model_state"][key].float() * GATE_GAIN
        assert torch.equal(kept == 0, gate.abs() < below)
        assert torch.allclose(kept[gate.abs() >= below], gate[gate.abs() >= below], rtol=1e-3)
    assert Generator.from_checkpoint(out / "best.pt").sample(seed=1, max_length=200).startswith("<html>")
    proc = run_module("charlm.export", str(tiny_run), str(tmp_path / "lstm"), "--prune-header-gates", "0.05")
    assert proc.returncode == 2 and "no header gates to prune" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_module("charlm.export", str(tiny_run), str(tmp_path / "x"), "--prune-header-gates", "-1")
    assert proc.returncode == 2 and "must be a positive number" in proc.stderr
