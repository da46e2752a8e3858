import copy
from contextlib import nullcontext

import pytest
import torch

from charlm.models import CharRNN, ModelConfig, build
from charlm.training.objective import Optimizers, TrainStep, make_optimizer
from charlm.training.row_split import row_parts, splits_rows


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
    *muons, adam = opt.parts
    hidden = [p for muon in muons for g in muon.param_groups for p in g["params"]]
    assert all(type(muon) is torch.optim.Muon for muon in muons) and len(muons) == len(hidden) == hidden_count
    assert all(p.dim() == 2 for p in hidden)
    assert not any(p is m.embed.weight or p is m.head.weight for p in hidden)
    decayed, kept = adam.param_groups
    assert any(p is m.embed.weight for p in decayed["params"])
    assert decayed["weight_decay"] == muons[0].defaults["weight_decay"] == 0.1
    assert kept["weight_decay"] == 0.0 and all(p.dim() == 1 for p in kept["params"])
    everything = [p for g in opt.param_groups for p in g["params"]]
    assert sorted(map(id, everything)) == sorted(id(p) for p in m.parameters())  # each parameter once
    for group in opt.param_groups:  # the trainer's schedule reaches every part
        group["lr"] = 5e-4
    assert all(muon.param_groups[0]["lr"] == 5e-4 for muon in muons) and adam.param_groups[1]["lr"] == 5e-4
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


def muon_model(seed: int = 0):
    torch.manual_seed(seed)
    return build(ModelConfig(vocab_size=30, model="transformer", rnn_size=32, num_layers=2, n_head=2, block_size=16,
                             dropout=0.0))


def test_a_muon_state_saved_as_one_muon_over_every_matrix_resumes_as_it_would_have_gone_on():
    # The layout before each matrix had a Muon of its own; a latest.pt of that time must still resume.
    old, new = muon_model(), muon_model()
    hidden = [p for p in old.parameters() if p.dim() == 2 and p is not old.embed.weight and p is not old.head.weight]
    rest = [p for p in old.parameters() if all(p is not h for h in hidden)]
    adam = make_optimizer(old, 1e-2, torch.device("cpu"), 0.1, 0.99, "muon").parts[-1]
    adam = type(adam)([{**g, "params": [p for p in rest if any(p is q for q in g["params"])]} for g in adam.param_groups])
    before = Optimizers(torch.optim.Muon(hidden, lr=1e-2, weight_decay=0.1, adjust_lr_fn="match_rms_adamw"), adam)
    x = torch.randint(0, 30, (4, 16))
    for _ in range(3):
        TrainStep(old, old, before, 1.0, nullcontext)(x, torch.roll(x, -1, 1), None)
    new.load_state_dict(old.state_dict())
    after = make_optimizer(new, 1e-2, torch.device("cpu"), 0.1, 0.99, "muon")
    after.load_state_dict(copy.deepcopy(before.state_dict()))  # as read back from a file: tensors of its own
    TrainStep(old, old, before, 1.0, nullcontext)(x, torch.roll(x, -1, 1), None)
    TrainStep(new, new, after, 1.0, nullcontext)(x, torch.roll(x, -1, 1), None)
    assert all(torch.equal(a, b) for a, b in zip(old.parameters(), new.parameters()))


def steps_at(threads: int, kind: str, model_of=muon_model) -> tuple[torch.nn.Module, list[float]]:
    """A model after four steps of the trainer's on fixed batches at a CPU thread count."""
    model, before = model_of(), torch.get_num_threads()
    step = TrainStep(model, model, make_optimizer(model, 1e-2, torch.device("cpu"), 0.1, 0.99, kind), 1.0, nullcontext)
    batches = torch.Generator().manual_seed(1)
    torch.set_num_threads(threads)
    try:
        losses = []
        for _ in range(4):
            x = torch.randint(0, 30, (6, 16), generator=batches)
            loss, state = step(x, torch.roll(x, -1, 1), None)
            assert state is None and torch.get_num_threads() == threads  # the step gives the count back
            losses.append(loss.item())
    finally:
        torch.set_num_threads(before)
    return model, losses


def test_rows_split_across_threads_train_as_one_thread_does_and_the_same_each_time():
    one, one_losses = steps_at(1, "adam")
    split, split_losses = steps_at(3, "adam")  # 6 rows in three threads
    again, _ = steps_at(3, "adam")
    assert split_losses == pytest.approx(one_losses, rel=1e-5)
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(one.parameters(), split.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(split.parameters(), again.parameters()))
    muon_one, _ = steps_at(1, "muon")
    muon_split, _ = steps_at(2, "muon")  # the matrices orthogonalized side by side
    assert all(torch.allclose(a, b, atol=5e-3) for a, b in zip(muon_one.parameters(), muon_split.parameters()))


def test_only_independent_rows_that_draw_no_random_numbers_are_split():
    windows = muon_model()
    assert splits_rows(windows, windows, compile=False)
    assert not splits_rows(windows, windows, compile=True)
    assert not splits_rows(torch.nn.Sequential(windows), windows, compile=False)  # a DDP wrapper
    dropout = build(ModelConfig(vocab_size=30, model="transformer", rnn_size=32, num_layers=1, n_head=2,
                                block_size=16, dropout=0.1))
    assert not splits_rows(dropout, dropout, compile=False)
    lstm = tiny()  # carries its state from batch to batch
    assert not splits_rows(lstm, lstm, compile=False)


def test_a_header_window_batch_splits_each_of_its_tensors_by_rows():
    ids, segment, pin_len = torch.arange(12).view(6, 2), torch.arange(18).view(6, 3), torch.arange(6)
    parts = row_parts((ids, segment, pin_len), 2)
    assert [len(p) for p in parts] == [3, 3]
    assert torch.equal(parts[1][0], ids[3:]) and torch.equal(parts[1][1], segment[3:])
    assert torch.equal(parts[1][2], pin_len[3:])
