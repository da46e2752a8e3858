import pytest
import torch

from charlm.data import Vocab
from charlm.fused import FusedRNN
from charlm.generate import Generator
from charlm.model import CharRNN, ModelConfig


def random_model(cell: str, layers: int, units: int = 48, vocab: int = 40, seed: int = 0) -> CharRNN:
    torch.manual_seed(seed)
    model = CharRNN(ModelConfig(vocab_size=vocab, model=cell, rnn_size=units, num_layers=layers, dropout=0.5)).eval()
    # Weights large enough that every gate does real work. A plain tanh RNN that large is
    # chaotic, so float rounding alone would make any two implementations drift apart.
    scale = 0.1 if cell == "rnn" else 0.4
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-scale, scale)
    return model


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layers", [1, 3])
def test_fused_logits_match_nn_at_every_step_of_a_long_sequence(cell, layers):
    model = random_model(cell, layers, seed=layers)
    seq = torch.randint(0, 40, (4, 1000))
    with torch.no_grad():
        reference, _ = model(seq)
        _, state = model(seq[:, :10])
    session = FusedRNN(model).session(state, 4)
    worst = 0.0
    for t in range(10, seq.shape[1]):
        worst = max(worst, (session.step(seq[:, t]) - reference[:, t]).abs().max().item())
    assert worst < 1e-4


def test_sessions_on_one_model_do_not_share_state():
    model = random_model("lstm", 2)
    net = FusedRNN(model)
    _, state = model(torch.tensor([[1, 2, 3]]))
    a, b = net.session(state, 1), net.session(state, 1)
    for i in [4, 5, 6]:
        a.step(torch.tensor([i]))
    first_b = b.step(torch.tensor([4])).clone()
    fresh = net.session(state, 1).step(torch.tensor([4]))
    assert torch.equal(first_b, fresh)


def test_the_generator_writes_the_same_text_fused_or_not(tiny_run):
    fused = Generator.from_checkpoint(tiny_run / "best.pt")
    plain = Generator.from_checkpoint(tiny_run / "best.pt", fused=False)
    assert fused.fused is not None and plain.fused is None
    for seed in range(3):
        kw = dict(seed=seed, temperature=0.8, max_length=400, stop=None)
        assert fused.sample(**kw) == plain.sample(**kw)
    assert fused.generate(3, seed=5, max_length=200) == plain.generate(3, seed=5, max_length=200)


def test_every_cell_samples_through_the_generator():
    vocab = Vocab("abcdefghij")
    for cell in ("lstm", "gru", "rnn"):
        model = random_model(cell, 2, vocab=10)
        a = Generator(model, vocab).sample(prime="abc", seed=3, max_length=300, stop=None)
        b = Generator(model, vocab, fused=False).sample(prime="abc", seed=3, max_length=300, stop=None)
        assert a == b and len(a) == 303
