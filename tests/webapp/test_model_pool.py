import threading

import webapp.model_pool as model_pool
from webapp.checkpoints import CheckpointIndex
from webapp.model_pool import ModelPool


def test_loaded_models_are_cached_and_only_idle_ones_evicted(checkpoints_dir):
    from charlm import SampleSettings

    pool = ModelPool(models=1)
    a, b = CheckpointIndex(checkpoints_dir).scan()[:2]
    first = pool.server(a)
    assert pool.server(a) is first
    pool.server(b)
    assert pool.server(a) is not first  # evicted by b, then loaded again
    busy = pool.server(a)
    with busy.submit(SampleSettings(max_length=10**6, stop=None, seed=1)):
        pool.server(b)
        assert pool.server(a) is busy  # still sampling: kept though over the cache size


def test_past_its_memory_bound_the_pool_drops_the_least_recently_used_idle_model(checkpoints_dir):
    a, b, c = CheckpointIndex(checkpoints_dir).scan()[:3]
    one = ModelPool().server(a).footprint()
    assert one > 0
    pool = ModelPool(models=10, memory_mb=2.5 * one / 2**20)  # room for two models, not three
    first = pool.server(a)
    pool.server(b)
    assert pool.server(a) is first  # a is now the more recently used
    pool.server(c)
    assert pool.loaded(a) and not pool.loaded(b) and pool.loaded(c)
    assert pool.footprint() <= 2.5 * one and pool.server(a) is first


def test_requests_that_come_together_for_a_model_not_yet_loaded_share_one_load(checkpoints_dir, monkeypatch):
    loads, real = [], model_pool.Generator.from_checkpoint

    def counted(*args, **kwargs):
        loads.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(model_pool.Generator, "from_checkpoint", counted)
    pool, info = ModelPool(), CheckpointIndex(checkpoints_dir).scan()[0]
    start, servers = threading.Barrier(8), []

    def ask():
        start.wait(timeout=60)
        servers.append(pool.server(info))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert len(servers) == 8 and len({id(s) for s in servers}) == 1
    assert len(loads) == 1
