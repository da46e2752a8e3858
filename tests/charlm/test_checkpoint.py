import pickle

import pytest
import torch

from charlm import checkpoint as ckpt_io
from charlm import runs
from charlm.errors import CheckpointError
from charlm.sampling.generator import Generator


def test_atomic_save_never_leaves_a_half_written_file(tmp_path, monkeypatch):
    path = tmp_path / "latest.pt"
    ckpt_io.atomic_save({"format": ckpt_io.FORMAT, "n": 1}, path)
    before = path.read_bytes()

    def crash_midway(obj, fh):
        fh.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        ckpt_io.atomic_save({"format": ckpt_io.FORMAT, "n": 2}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["latest.pt"]


@pytest.mark.parametrize("content, message", [
    (b"", "bad.pt is not a checkpoint: a .pt file written by python -m charlm.train"),
    (b"garbage" * 100, "bad.pt is not a checkpoint"),
    (pickle.dumps({"format": ckpt_io.FORMAT}), "bad.pt is not a checkpoint"),
], ids=["empty", "garbage", "bare pickle"])
def test_damaged_files_give_a_checkpoint_error(tmp_path, content, message):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        ckpt_io.load(path)


def test_a_truncated_checkpoint_is_refused(tiny_run, tmp_path):
    data = (tiny_run / "best.pt").read_bytes()
    path = tmp_path / "cut.pt"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        ckpt_io.load(path)


def test_files_that_are_not_ours_or_would_run_code_are_refused(tmp_path):
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a dreamjobs charlm checkpoint"):
        ckpt_io.load(tmp_path / "other.pt")

    class Payload:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"format": ckpt_io.FORMAT, "x": Payload()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="Unsupported global"):
        ckpt_io.load(tmp_path / "evil.pt")


def test_half_precision_weights_load_back_as_float32(tiny_run, tmp_path):
    ckpt = ckpt_io.load(tiny_run / "best.pt")
    ckpt["model_state"] = {k: v.half() for k, v in ckpt["model_state"].items()}
    ckpt_io.atomic_save(ckpt, tmp_path / "fp16.pt")
    model, _, _ = ckpt_io.load_model(tmp_path / "fp16.pt")
    assert all(p.dtype == torch.float32 for p in model.parameters())
    a = Generator.from_checkpoint(tiny_run / "best.pt").sample(argmax=True, max_length=40)
    b = Generator.from_checkpoint(tmp_path / "fp16.pt").sample(argmax=True, max_length=40)
    assert a[:20] == b[:20]


def test_best_points_at_the_lowest_val_loss(tmp_path):
    for name in ["epoch001_val2.0000.pt", "epoch002_val1.5000.pt", "epoch003_val1.7000.pt", "notes.pt"]:
        (tmp_path / name).write_bytes(b"x")
    assert [e for e, _, _ in runs.epoch_checkpoints(tmp_path)] == [1, 2, 3]
    assert runs.mark_best(tmp_path).name == "epoch002_val1.5000.pt"
    assert (tmp_path / "best.pt").resolve().name == "epoch002_val1.5000.pt"


def test_a_fine_tuned_checkpoint_says_where_it_began(tiny_run, tmp_path):
    # Issue 39 #7: a fine-tune's "epoch 1" hid that it continues a longer run.
    ckpt = ckpt_io.load(tiny_run / "best.pt")
    assert ckpt_io.origin(tiny_run / "best.pt") is None  # trained from scratch
    ckpt["train_config"] = {**ckpt["train_config"], "init_from": "checkpoints/big-run/epoch016_val0.6105.pt",
                            "keep_layers": [0, 2]}
    ckpt_io.atomic_save(ckpt, tmp_path / "tuned" / "epoch001_val1.0000.pt")
    assert ckpt_io.origin(tmp_path / "tuned" / "epoch001_val1.0000.pt") == "fine-tuned from big-run epoch 16, layers 0,2"
