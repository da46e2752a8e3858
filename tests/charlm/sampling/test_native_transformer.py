"""The transformer's step in the C kernel: the same guarantees as the LSTM's (issue 27)."""

import pytest
import torch

from charlm import Generator, SampleSettings
from charlm import checkpoint as ckpt_io
from charlm.data import read_corpus
from charlm.errors import SettingsError
from charlm.loss import stream_loss
from charlm.models import CharTransformer, ModelConfig
from charlm.sampling.native_transformer import NativeTransformer
from charlm.sampling.steppers import TorchModel

PRECISIONS = ["fp32", "fp16", "int8"]


def toy(block_size=16):
    torch.manual_seed(0)
    return CharTransformer(ModelConfig(vocab_size=20, model="transformer", rnn_size=32, num_layers=2, dropout=0.0,
                                       n_head=2, block_size=block_size)).eval()


def run(stepper, ids):
    state, logits = stepper.start(ids[:1])
    stepper.put(0, state, logits)
    return torch.stack([stepper.step(torch.tensor([i], dtype=torch.int32))[0].clone() for i in ids[1:]])


def test_at_fp32_the_kernel_steps_as_the_model_does_past_its_window():
    model, ids = toy(), torch.randint(0, 20, (60,)).tolist()  # 60 characters: the 16-slot ring wraps thrice
    native = run(NativeTransformer(model, "fp32").stepper(1), ids)
    reference = run(TorchModel(model).stepper(1), ids)
    assert torch.allclose(native, reference, atol=1e-4)


def test_the_cache_equals_a_full_recompute_of_the_window():
    # Within the first window exactly so. Past it, the cached keys of the deeper blocks were made
    # from states that saw characters before the window (the receptive field grows by a window per
    # block, as with any rolling cache), so a recompute of the window alone differs by about 1e-3:
    # the kernel then follows the model's own cached forward (the test above), as the val loss does.
    model, ids = toy(), torch.randint(0, 20, (50,)).tolist()
    native = run(NativeTransformer(model, "fp32").stepper(1), ids)
    for t in range(model.config.block_size - 1):  # after reading ids[:t + 2]
        with torch.no_grad():
            recomputed = model(torch.tensor([ids[:t + 2]]), None)[0][0, -1]
        assert torch.allclose(native[t], recomputed, atol=1e-4), t


@pytest.mark.parametrize("precision", PRECISIONS)
def test_a_posting_is_the_same_alone_or_in_a_batch_of_16_and_a_seed_writes_it_again(tiny_transformer_run, precision):
    gen = Generator.from_checkpoint(tiny_transformer_run / "best.pt", precision=precision)
    assert gen.backend == "native" and gen.precision == precision
    s = SampleSettings(max_length=300, seed=40, stop=None)
    batch = gen.generate(16, s)
    assert len(set(batch)) == 16
    for i in (0, 7, 15):
        alone = gen.sample(SampleSettings(max_length=300, seed=40 + i, stop=None))
        assert alone == batch[i]
    assert gen.generate(16, s) == batch


def test_the_val_loss_through_the_samplers_step_is_within_0_003_of_the_model_at_each_precision(tiny_transformer_run):
    ckpt = ckpt_io.load(tiny_transformer_run / "best.pt")
    split = ckpt_io.training_split(ckpt, read_corpus(ckpt["train_config"]["data"]))
    torch_path = Generator.from_checkpoint(tiny_transformer_run / "best.pt", backend="torch")
    ids = torch_path.vocab.encode("".join(split.val))
    model_loss = stream_loss(torch_path.model, ids, 8, 512, torch.device("cpu"))[0]
    for precision in PRECISIONS:
        stepped = Generator.from_checkpoint(tiny_transformer_run / "best.pt", precision=precision).val_loss(ids, 8)
        assert abs(stepped - model_loss) < 0.003, precision


def test_widths_the_kernel_cannot_take_are_refused_and_step_through_the_model_instead():
    odd = CharTransformer(ModelConfig(vocab_size=20, model="transformer", rnn_size=24, num_layers=1, dropout=0.0,
                                      n_head=2, block_size=8))
    assert not NativeTransformer.supports(odd)
    with pytest.raises(SettingsError, match="multiple of 16 wide"):
        NativeTransformer(odd, "fp32")
    from charlm.data import Vocab

    assert Generator(odd, Vocab("".join(chr(65 + i) for i in range(20)))).backend == "torch"


@pytest.mark.parametrize("precision, tolerance", [("fp32", 1e-4), ("fp16", 2e-3), ("int8", 2e-2)])
def test_the_kernel_keeps_each_rows_header_pinned_as_the_model_does(precision, tolerance):
    """Three postings, each well past the 64-character window: the header's slots are written as it is
    read, pinned at its </title>, and dropped at the next posting's <html>, per row, at every precision."""

    from charlm.data import Vocab
    from charlm.models.header import with_header_ids
    from dreamjobs.corpus_format import LEAD, document

    text = LEAD + "".join(document(f"Job {i}", f"Company {i}", "Seattle, WA", "<p>We hire and we ship.</p>\n" * 12)
                          for i in range(3))
    vocab = Vocab.from_text(text)
    config = ModelConfig(vocab_size=len(vocab), model="transformer", rnn_size=32, num_layers=2, n_head=2,
                         block_size=64, dropout=0.0, header_slots=64)
    torch.manual_seed(0)
    model = CharTransformer(with_header_ids(config, vocab)).eval()
    for block in model.blocks:
        block.attn.header_gate.data.normal_(0, 0.1)
    ids = vocab.encode(text).tolist()
    reference = run(TorchModel(model).stepper(1), ids)
    assert torch.allclose(run(NativeTransformer(model, precision).stepper(1), ids), reference, atol=tolerance)
    gates = [block.attn.header_gate.data.clone() for block in model.blocks]
    for block in model.blocks:  # a pruned head (header.prune_gates), whose header the kernel skips
        block.attn.header_gate.data[0] = 0
    pruned = run(TorchModel(model).stepper(1), ids)
    assert torch.allclose(run(NativeTransformer(model, precision).stepper(1), ids), pruned, atol=tolerance)
    for block, gate in zip(model.blocks, gates):
        block.attn.header_gate.data.copy_(gate)
    for block in model.blocks:  # and the pinned header is what moves the logits
        block.attn.header_gate.data.zero_()
    assert not torch.allclose(run(NativeTransformer(model, precision).stepper(1), ids), reference, atol=tolerance)
