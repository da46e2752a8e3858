from webapp.catalog import Catalog


def test_scan_finds_runs_epochs_and_the_best(checkpoints_dir):
    found = Catalog(checkpoints_dir).scan()
    assert [c.id.split("_")[0] for c in found] == ["tiny:epoch001", "tiny:epoch002", "tiny:epoch003"]
    best = [c for c in found if c.best]
    assert len(best) == 1 and best[0].val_loss == min(c.val_loss for c in found)


def test_ids_are_looked_up_never_turned_into_paths(checkpoints_dir):
    catalog = Catalog(checkpoints_dir)
    assert catalog.get("tiny/../../etc/passwd") is None
    assert catalog.get("tiny:best") is None  # best.pt and latest.pt are not offered by name
    assert catalog.get(catalog.scan()[0].id) == catalog.scan()[0]


def test_loaded_models_are_cached_and_only_idle_ones_evicted(checkpoints_dir):
    from charlm import SampleSettings

    catalog = Catalog(checkpoints_dir, cache_size=1)
    a, b = catalog.scan()[:2]
    first = catalog.server(a)
    assert catalog.server(a) is first
    catalog.server(b)
    assert catalog.server(a) is not first  # evicted by b, then loaded again
    busy = catalog.server(a)
    with busy.submit(SampleSettings(max_length=10**6, stop=None, seed=1)):
        catalog.server(b)
        assert catalog.server(a) is busy  # still sampling: kept though over the cache size


def test_runs_carry_their_loss_history(checkpoints_dir):
    (run,) = Catalog(checkpoints_dir).runs()
    assert [e["epoch"] for e in run.epochs] == [1, 2, 3]
    assert all(e["train_loss"] > 0 and e["val_loss"] > 0 for e in run.epochs)
    assert len(run.steps) > 3
