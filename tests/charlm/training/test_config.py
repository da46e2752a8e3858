import pytest

from charlm.training.config import TrainConfig


def test_learning_rate_ramps_up_then_is_constant_then_decays_each_epoch():
    cfg = TrainConfig(learning_rate=0.01, lr_decay=0.5, lr_decay_after=2)
    assert [cfg.lr_at(e, step=500) for e in range(1, 6)] == [0.01, 0.01, 0.005, 0.0025, 0.00125]
    warm = TrainConfig(learning_rate=0.01, lr_decay=0.5, lr_decay_after=2, warmup_steps=4)
    assert [warm.lr_at(1, s) for s in range(6)] == pytest.approx([0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01])
    assert warm.lr_at(3, 1) == pytest.approx(0.005 * 0.5)  # a ramp longer than the first epochs meets the decay
