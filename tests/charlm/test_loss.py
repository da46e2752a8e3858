import math
import time

import pytest
import torch

from charlm.loss import stream_loss
from charlm.models import CharRNN, ModelConfig


def test_the_closing_evaluation_of_a_budget_stops_at_the_deadline_and_says_how_much_it_scored():
    torch.manual_seed(0)
    model = CharRNN(ModelConfig(vocab_size=20, rnn_size=16, num_layers=1, dropout=0.0))
    ids = torch.randint(0, 20, (5000,))
    full, share = stream_loss(model, ids, 4, 64, torch.device("cpu"))
    # Scored in windows of 64 with the state carried, or in one window: the same loss.
    assert share == 1.0 and full == pytest.approx(stream_loss(model, ids, 4, 10**6, torch.device("cpu"))[0])
    # A deadline already past: one window of every stream is scored, and the share says so.
    part, share = stream_loss(model, ids, 4, 64, torch.device("cpu"), deadline=time.monotonic() - 1)
    assert share == pytest.approx(4 * 64 / 4999) and math.isfinite(part)
