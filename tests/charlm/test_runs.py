import json
import os

import pytest

from charlm import runs
from charlm.errors import CharLMError


def touch(run_dir, *names):
    for name in names:
        (run_dir / name).write_bytes(b"x")


def test_epoch_checkpoints_come_by_epoch_and_the_best_is_the_lowest_val_loss_earliest_on_a_tie(tmp_path):
    touch(tmp_path, runs.epoch_filename(2, 0.9), runs.epoch_filename(10, 0.8), runs.epoch_filename(3, 0.8),
          "epoch004_valNaN.pt", "notes.txt")
    found = runs.epoch_checkpoints(tmp_path)
    assert [(e, v) for e, v, _ in found] == [(2, 0.9), (3, 0.8), (10, 0.8)]
    assert runs.best_checkpoint(found).name == "epoch003_val0.8000.pt"
    assert runs.best_checkpoint([]) is None


def test_mark_best_points_best_pt_at_the_best_epoch_and_repair_clears_a_killed_saves_debris(tmp_path):
    touch(tmp_path, runs.epoch_filename(1, 1.5), runs.epoch_filename(2, 1.2), ".latest.pt.tmp")
    os.symlink(runs.epoch_filename(1, 1.5), tmp_path / runs.BEST)  # left behind by a kill before the move
    done = runs.repair(tmp_path)
    assert (tmp_path / runs.BEST).resolve().name == "epoch002_val1.2000.pt"
    assert not list(tmp_path.glob("*.tmp*")) and len(done) == 2


def test_a_named_run_never_overwrites_saved_work_and_an_unnamed_one_gets_a_suffix(tmp_path):
    taken = tmp_path / "run"
    taken.mkdir()
    touch(taken, runs.LATEST)
    with pytest.raises(CharLMError, match="--resume"):
        runs.new_run_dir(str(tmp_path), "run", "x")
    (tmp_path / "auto").mkdir()
    touch(tmp_path / "auto", "metrics.jsonl")
    assert runs.new_run_dir(str(tmp_path), None, "auto").name.startswith("auto-")


def test_metrics_skip_a_line_cut_short_and_truncate_drops_what_came_after_a_step(tmp_path):
    runs.append_metric(tmp_path, type="train", step=5, loss=2.0)
    runs.append_metric(tmp_path, type="train", step=10, loss=1.5)
    with open(tmp_path / runs.METRICS, "a") as fh:
        fh.write('{"type": "train", "st')  # a kill mid-write
    assert [r["step"] for r in runs.read_metrics(tmp_path)] == [5, 10]
    runs.truncate_metrics(tmp_path, 5)
    rows = [json.loads(line) for line in (tmp_path / runs.METRICS).read_text().splitlines()]
    assert [r["step"] for r in rows] == [5]
