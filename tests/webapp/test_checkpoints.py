from webapp.checkpoints import CheckpointIndex


def test_scan_finds_runs_epochs_and_the_best(checkpoints_dir):
    found = CheckpointIndex(checkpoints_dir).scan()
    assert [c.id.split("_")[0] for c in found] == ["tiny:epoch001", "tiny:epoch002", "tiny:epoch003"]
    best = [c for c in found if c.best]
    assert len(best) == 1 and best[0].val_loss == min(c.val_loss for c in found)


def test_ids_are_looked_up_never_turned_into_paths(checkpoints_dir):
    index = CheckpointIndex(checkpoints_dir)
    assert index.get("tiny/../../etc/passwd") is None
    assert index.get("tiny:best") is None  # best.pt and latest.pt are not offered by name
    assert index.get(index.scan()[0].id) == index.scan()[0]


def test_runs_carry_their_loss_history(checkpoints_dir):
    (run,) = CheckpointIndex(checkpoints_dir).runs()
    assert [e["epoch"] for e in run.epochs] == [1, 2, 3]
    assert all(e["train_loss"] > 0 and e["val_loss"] > 0 for e in run.epochs)
    assert len(run.steps) > 3


def budget_stopped_run(root):
    """A run stopped by its time budget inside its first epoch: latest.pt, no epoch checkpoint."""
    from conftest import TINY, make_corpus

    from charlm.train import main

    data = root.parent / "budget.txt"
    data.write_text(make_corpus(40))
    assert main(["--data", str(data), "--checkpoint-dir", str(root), "--run-name", "short",
                 "--max-minutes", "0.0001", *TINY]) == 0


def test_a_budget_stopped_run_offers_its_latest_state_with_the_val_loss_it_stopped_at(checkpoints_dir):
    budget_stopped_run(checkpoints_dir)
    index = CheckpointIndex(checkpoints_dir)
    latest = index.get("short:latest")
    assert latest is not None and latest.latest and not latest.best and latest.epoch == 1
    assert latest.val_loss > 0 and latest.label.startswith("latest: ") and "into epoch 1" in latest.label
    short = next(r for r in index.runs() if r.name == "short")
    # Its log was written just now, but it says the run ended: not "training now" (issue 28 #4).
    assert short.checkpoints == [latest] and not short.live
    # Finished runs offer only their epochs.
    assert all(not c.latest for c in index.scan() if c.run == "tiny")


def test_the_latest_state_of_a_budget_stopped_run_samples_in_the_gallery(checkpoints_dir, client):
    budget_stopped_run(checkpoints_dir)
    resp = client.post("/api/generate", json={"checkpoint": "short:latest", "length": 50, "seed": 1})
    assert resp.status_code == 201 and resp.get_json()["run"] == "short"
    html = client.get("/training").get_data(as_text=True)
    assert "short" in html and "training now" not in html and "into 1" in html  # it ended at its budget


def test_metrics_lines_missing_fields_are_skipped_not_fatal(checkpoints_dir, client):
    with open(checkpoints_dir / "tiny" / "metrics.jsonl", "a") as f:
        f.write('{"type": "val", "epoch": 4}\n{"type": "train"}\n[1, 2]\n{"type": "val", "epoch": "x", "loss": 1, "train_loss": 1}\n')
    assert client.get("/training").status_code == 200
    (run,) = CheckpointIndex(checkpoints_dir).runs()
    assert [e["epoch"] for e in run.epochs] == [1, 2, 3]


def test_training_now_is_judged_from_the_runs_own_end_row_not_the_age_of_its_log(checkpoints_dir):
    import json
    import os
    import time

    log = checkpoints_dir / "tiny" / "metrics.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert rows[-1]["type"] == "end" and rows[-1]["why"] == "done"  # what charlm.train writes last

    def live():
        return CheckpointIndex(checkpoints_dir).runs()[0].live

    assert not live()  # ended a moment ago
    log.write_text("".join(json.dumps(r) + "\n" for r in rows[:-1]))  # no end yet: training
    assert live()
    old = time.time() - 3600
    os.utime(log, (old, old))  # no end, and silent for an hour: killed, not training
    assert not live()
