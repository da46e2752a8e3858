from contextlib import nullcontext

import torch

from charlm.models import CharRNN, ModelConfig
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
