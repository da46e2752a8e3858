import pytest
import torch

from charlm.errors import SettingsError
from charlm.models import CharRNN, ModelConfig
from charlm.sampling.native_lstm import NativeLSTM
from charlm.sampling.steppers import TorchModel, fixed_order_matmul


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return CharRNN(ModelConfig(vocab_size=12, model="lstm", rnn_size=32, num_layers=2, dropout=0.0)).eval()


def stepped(stepper, rows, steps):
    """The logits of `rows` rows fed the same ids for `steps` steps, each row's prime run first."""
    state, logits = stepper.start([1, 2, 3])
    for slot in range(rows):
        stepper.put(slot, state, logits)
    out = []
    for t in range(steps):
        out.append(stepper.step(torch.full((rows,), t % 12, dtype=torch.int32)).clone())
    return torch.stack(out)


def test_the_kernel_at_fp32_steps_as_the_model_itself_does(model):
    native = stepped(NativeLSTM(model, "fp32").stepper(3), 3, 20)
    torch_path = stepped(TorchModel(model).stepper(3), 3, 20)
    assert torch.allclose(native, torch_path, atol=1e-4)


@pytest.mark.parametrize("precision", ["fp32", "fp16", "int8"])
def test_a_row_moved_to_another_slot_carries_its_state_and_logits(model, precision):
    stepper = NativeLSTM(model, precision).stepper(2)
    state, logits = stepper.start([4, 5])
    stepper.put(1, state, logits)
    stepper.step(torch.tensor([0, 7], dtype=torch.int32))
    expected = stepper.logits[1].clone()
    stepper.move(1, 0)
    assert torch.equal(stepper.logits[0], expected)
    alone = NativeLSTM(model, precision).stepper(1)
    s1, l1 = alone.start([4, 5])
    alone.put(0, s1, l1)
    alone.step(torch.tensor([7], dtype=torch.int32))
    assert torch.equal(stepper.step(torch.tensor([3], dtype=torch.int32))[0],
                       alone.step(torch.tensor([3], dtype=torch.int32))[0])


def test_a_prime_runs_once_however_many_rows_start_with_it(model):
    stepper = NativeLSTM(model, "int8").stepper(2)
    assert stepper.start([1, 2]) is stepper.start([1, 2])
    assert stepper.start([1, 2]) is not stepper.start([2, 1])


def test_the_kernel_takes_lstms_only_and_says_so(model):
    gru = CharRNN(ModelConfig(vocab_size=12, model="gru", rnn_size=32, num_layers=1, dropout=0.0))
    assert not NativeLSTM.supports(gru)
    with pytest.raises(SettingsError, match="LSTM"):
        NativeLSTM(gru, "fp32")
    with pytest.raises(SettingsError, match="precision"):
        NativeLSTM(model, "bf16")


def test_the_fixed_order_product_is_the_matrix_product():
    a, b = torch.randn(5, 7), torch.randn(7, 3)
    assert torch.allclose(fixed_order_matmul(a, b), a @ b, atol=1e-5)
