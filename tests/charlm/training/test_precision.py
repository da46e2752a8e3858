"""bf16 on CPUs that have it (issue 38): chosen only where the CPU has it and it was measured to
pay, stated at start-up, and forced either way by --bf16 / --no-bf16."""

import pytest
import torch

from charlm.models import ModelConfig
from charlm.train import main
from charlm.training import precision
from conftest import TINY_TRANSFORMER

CPU = torch.device("cpu")
WIDE = ModelConfig(model="transformer", rnn_size=384, n_head=6)


NARROW = ModelConfig(model="transformer", rnn_size=128, n_head=4)


@pytest.mark.parametrize("has_bf16, config, rows, chosen", [
    (True, WIDE, 1024, True),
    (False, WIDE, 1024, False),  # a CPU without the instructions: float32
    (True, NARROW, 768, False),  # too narrow, too few rows to pay
    (True, NARROW, 3072, True),  # narrow, but a large step
    (True, ModelConfig(model="lstm", rnn_size=512), 3072, False),  # not measured for the recurrent family
])
def test_auto_chooses_bf16_only_where_the_cpu_has_it_and_it_pays(has_bf16, config, rows, chosen, monkeypatch):
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: has_bf16)
    on, why = precision.choose_bf16(None, CPU, config, rows)
    assert on is chosen and why


def test_asking_wins_and_cuda_stays_off_unless_asked(monkeypatch):
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    assert precision.choose_bf16(True, CPU, WIDE, 768) == (True, "as asked")
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    assert precision.choose_bf16(False, CPU, WIDE, 768)[0] is False
    assert precision.choose_bf16(None, torch.device("cuda"), WIDE, 768)[0] is False


def test_the_cpu_probe_agrees_with_the_kernels_flags():
    try:
        flags = next(ln for ln in open("/proc/cpuinfo") if ln.startswith("flags")).split()
    except (OSError, StopIteration):
        pytest.skip("no /proc/cpuinfo to compare with")
    assert precision.cpu_has_bf16() == ("avx512_bf16" in flags or "amx_bf16" in flags)


def test_a_tiny_transformer_trains_in_bf16_on_a_cpu_and_says_so(small_corpus, tmp_path, capsys):
    assert main(["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), "--run-name", "b", *TINY_TRANSFORMER,
                 "--max-epochs", "1", "--device", "cpu", "--bf16"]) == 0
    out = capsys.readouterr().out
    assert "bf16 autocast (as asked)" in out and "epoch 1/1" in out
