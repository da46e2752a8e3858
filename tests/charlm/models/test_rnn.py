import pytest
import torch

from charlm.errors import CharLMError
from charlm.models import CharRNN, ModelConfig, detach_state, keep_layers


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_forward_shapes_and_carried_state(cell):
    model = CharRNN(ModelConfig(vocab_size=11, model=cell, rnn_size=16, num_layers=2, dropout=0.0)).eval()
    idx = torch.randint(0, 11, (3, 7))
    logits, state = model(idx)
    assert logits.shape == (3, 7, 11)
    # Running in two halves with the state carried equals one run over the whole.
    a, s = model(idx[:, :4])
    b, _ = model(idx[:, 4:], detach_state(s))
    assert torch.allclose(torch.cat([a, b], 1), logits, atol=1e-6)


def test_config_rejects_nonsense():
    with pytest.raises(ValueError, match="unknown model"):
        ModelConfig(vocab_size=5, model="gpt")
    with pytest.raises(ValueError, match="n_head must split the width"):
        ModelConfig(vocab_size=5, model="transformer", rnn_size=512, n_head=6)
    with pytest.raises(ValueError, match="dropout"):
        ModelConfig(vocab_size=5, dropout=1.5)


def test_default_config_is_the_designs_3x512_lstm_with_dropout():
    cfg = ModelConfig(vocab_size=100)
    assert (cfg.model, cfg.num_layers, cfg.rnn_size, cfg.dropout) == ("lstm", 3, 512, 0.5)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg


def test_kept_layers_are_renumbered_from_0_and_the_rest_dropped():
    whole = CharRNN(ModelConfig(vocab_size=11, rnn_size=16, num_layers=3))
    config, weights = keep_layers(whole.config, whole.state_dict(), [1, 2])
    shallow = CharRNN(config)
    shallow.load_state_dict(weights)  # every weight it needs, none it does not
    assert config.num_layers == 2 and torch.equal(shallow.rnn.weight_hh_l0, whole.rnn.weight_hh_l1)
    assert torch.equal(shallow.rnn.bias_ih_l1, whole.rnn.bias_ih_l2) and torch.equal(shallow.head.weight, whole.head.weight)


@pytest.mark.parametrize("layers", [[2, 0], [0, 0], [3], []])
def test_kept_layers_must_be_the_checkpoints_in_order(layers):
    config = ModelConfig(vocab_size=11, rnn_size=16, num_layers=3)
    with pytest.raises(CharLMError, match="--keep-layers must name distinct layers in increasing order, each from 0 to 2"):
        keep_layers(config, CharRNN(config).state_dict(), layers)
