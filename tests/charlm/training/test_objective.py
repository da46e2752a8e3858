from contextlib import nullcontext

import pytest
import torch

from charlm.models import CharRNN, ModelConfig, build
from charlm.training.objective import TrainStep, make_optimizer


def tiny():
    torch.manual_seed(0)
    return CharRNN(ModelConfig(vocab_size=10, rnn_size=16, num_layers=1, dropout=0.0))


def test_weight_decay_makes_adamw_decaying_the_matrices_only():
    model = tiny()
    assert type(make_optimizer(model, 1e-3, torch.device("cpu"))) is torch.optim.Adam
    opt = make_optimizer(model, 1e-3, torch.device("cpu"), weight_decay=0.1, beta2=0.99)
    assert type(opt) is torch.optim.AdamW and opt.defaults["betas"] == (0.9, 0.99)
    decayed, kept = opt.param_groups
    assert decayed["weight_decay"] == 0.1 and all(p.dim() >= 2 for p in decayed["params"])
    assert kept["weight_decay"] == 0.0 and all(p.dim() < 2 for p in kept["params"])


@pytest.mark.parametrize("family, hidden_count", [("transformer", 4 * 2), ("lstm", 2)])
def test_muon_takes_the_hidden_matrices_and_adamw_the_embedding_output_and_vectors(family, hidden_count):
    torch.manual_seed(0)  # transformer: qkv, proj and the MLP's two per block; LSTM: its two gate matrices
    m = build(ModelConfig(vocab_size=30, model=family, rnn_size=32, num_layers=2 if family == "transformer" else 1,
                          n_head=2, block_size=8, dropout=0.0))
    opt = make_optimizer(m, 1e-3, torch.device("cpu"), weight_decay=0.1, beta2=0.99, kind="muon")
    muon, adam = opt.parts
    hidden = [p for g in muon.param_groups for p in g["params"]]
    assert type(muon) is torch.optim.Muon and len(hidden) == hidden_count and all(p.dim() == 2 for p in hidden)
    assert not any(p is m.embed.weight or p is m.head.weight for p in hidden)
    decayed, kept = adam.param_groups
    assert any(p is m.embed.weight for p in decayed["params"])
    assert decayed["weight_decay"] == muon.defaults["weight_decay"] == 0.1
    assert kept["weight_decay"] == 0.0 and all(p.dim() == 1 for p in kept["params"])
    everything = [p for g in opt.param_groups for p in g["params"]]
    assert sorted(map(id, everything)) == sorted(id(p) for p in m.parameters())  # each parameter once
    for group in opt.param_groups:  # the trainer's schedule reaches both
        group["lr"] = 5e-4
    assert muon.param_groups[0]["lr"] == adam.param_groups[1]["lr"] == 5e-4
    x = torch.randint(0, 30, (2, 8))
    before = [p.detach().clone() for p in m.parameters()]
    step = TrainStep(m, m, opt, 1.0, nullcontext)
    step(x, torch.roll(x, -1, dims=1), None)
    assert all(not torch.equal(a, b) for a, b in zip(before, m.parameters()))  # both parts stepped


def test_train_steps_lower_the_loss_on_a_batch_and_carry_a_detached_state():
    model = tiny()
    step = TrainStep(model, model, make_optimizer(model, 1e-2, torch.device("cpu")), 5.0, nullcontext)
    x = torch.randint(0, 10, (4, 12))
    y = torch.roll(x, -1, dims=1)
    first, hidden = step(x, y, None)
    for _ in range(30):
        loss, hidden = step(x, y, hidden)
    assert loss.item() < first.item() and not loss.requires_grad
    assert all(not h.requires_grad for h in hidden)
