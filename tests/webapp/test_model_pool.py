from webapp.checkpoints import CheckpointIndex
from webapp.model_pool import ModelPool


def test_loaded_models_are_cached_and_only_idle_ones_evicted(checkpoints_dir):
    from charlm import SampleSettings

    pool = ModelPool(cache_size=1)
    a, b = CheckpointIndex(checkpoints_dir).scan()[:2]
    first = pool.server(a)
    assert pool.server(a) is first
    pool.server(b)
    assert pool.server(a) is not first  # evicted by b, then loaded again
    busy = pool.server(a)
    with busy.submit(SampleSettings(max_length=10**6, stop=None, seed=1)):
        pool.server(b)
        assert pool.server(a) is busy  # still sampling: kept though over the cache size
