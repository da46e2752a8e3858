"""The C sampling kernel against the nn reference: logits, guard, batch invariance."""

import ctypes
import json
import os
import platform
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from charlm.sampling import native
from charlm.sampling.batch import VocabTables
from charlm.data import Vocab
from charlm.errors import SettingsError
from charlm.sampling.generator import Generator, SampleSettings
from charlm.sampling.reference_guard import HtmlConstraint, TagGuard
from charlm.models import CharRNN, ModelConfig
from charlm.sampling.native_lstm import NativeLSTM
from conftest import DEMO, DEMO_TRANSFORMER, ROOT, make_corpus


def random_model(cell: str = "lstm", layers: int = 2, units: int = 48, vocab: int = 40, seed: int = 0,
                 scale: float = 0.4) -> CharRNN:
    torch.manual_seed(seed)
    model = CharRNN(ModelConfig(vocab_size=vocab, model=cell, rnn_size=units, num_layers=layers, dropout=0.5)).eval()
    # Weights large enough that every gate does real work. A plain tanh RNN that large is
    # chaotic, so float rounding alone would make any two implementations drift apart.
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-scale, scale)
    return model


def worst_logit_gap(model: CharRNN, reference: CharRNN, precision: str, steps: int = 1000) -> float:
    """Step 4 rows through the kernel; the largest |logit - nn logit| over every step."""
    seq = torch.randint(0, model.config.vocab_size, (4, steps))
    with torch.no_grad():
        expected, _ = reference(seq)
    stepper = NativeLSTM(model, precision).stepper(4)
    worst = 0.0
    for t in range(steps):
        got = stepper.step(seq[:, t].to(torch.int32))
        worst = max(worst, (got - expected[:, t]).abs().max().item())
    return worst


# Tolerance: both sides compute in float32, but sum in a different order and the kernel's
# exp is a polynomial good to ~2 ulp; over 1,000 steps the state carries those 1e-7-relative
# differences along, and logits of size ~10 end up within ~1e-5. 1e-4 leaves 10x room while
# any real error (a wrong gate, a transposed weight, a lost bias) shows up at 1e-2 or more.
@pytest.mark.parametrize("layers", [1, 3])
def test_fp32_kernel_logits_match_nn_at_every_step_of_a_long_sequence(layers):
    model = random_model(layers=layers, seed=layers)
    assert worst_logit_gap(model, model, "fp32") < 1e-4


def test_fp16_kernel_computes_exactly_the_nn_model_with_float16_rounded_weights():
    model = random_model(layers=3)
    rounded = random_model(layers=3)
    with torch.no_grad():
        for p in rounded.parameters():
            p.copy_(p.half().float())
    # The rounding of the weights is the only difference: the arithmetic is float32.
    assert worst_logit_gap(model, rounded, "fp16") < 1e-4
    assert worst_logit_gap(model, model, "fp16") > 1e-4


def test_int8_kernel_stays_close_to_the_nn_model_with_the_same_int8_weights():
    model = random_model(layers=3, units=64)
    dequantized = random_model(layers=3, units=64)
    with torch.no_grad():
        for name, p in dequantized.named_parameters():
            if p.dim() == 2 and "embed" not in name:  # the kernel keeps layer 0's input table in float32
                scale = p.abs().amax(dim=1, keepdim=True) / 127
                p.copy_((p / scale).round() * scale)
    # What is left is the activations' 12-bit quantization: each input of a sum is off by at
    # most 1/4094 of its row's largest, so a sum of 128 terms of weights below 0.4 moves by
    # ~1e-3 at worst and ~1e-4 typically. Carried through 1,000 steps of weights this large,
    # the worst logit gap is 0.019-0.021 depending on the order the two sides sum in (it moved
    # when the kernel's packing changed), so 5e-2 holds it; a forget gate's bias off by 0.1 gives 0.23.
    gap = worst_logit_gap(model, dequantized, "int8")
    assert 1e-6 < gap < 5e-2


def test_checkpoint_weights_stored_as_float16_lose_nothing_in_the_fp16_kernel(tiny_run, tmp_path):
    from charlm.export import main as export

    assert export([str(tiny_run), str(tmp_path / "fp16"), "--epochs", "best"]) == 0
    gen16 = Generator.from_checkpoint(tmp_path / "fp16" / "best.pt", precision="fp16")
    gen32 = Generator.from_checkpoint(tmp_path / "fp16" / "best.pt", precision="fp32")
    for seed in range(3):
        assert gen16.sample(seed=seed, max_length=500) == gen32.sample(seed=seed, max_length=500)


@pytest.mark.parametrize("precision", ["fp32", "fp16", "int8"])
def test_a_posting_is_the_same_alone_and_inside_a_batch_of_16(precision):
    vocab = Vocab("<>/abcdefghijklmnopqrstuvwxyz \n")
    model = random_model(layers=3, units=512, vocab=len(vocab), scale=0.05)
    gen = Generator(model, vocab, precision=precision)
    settings = dict(prime="<p>", temperature=1.0, max_length=250, stop=None)
    together = gen.generate(16, seed=40, **settings)
    alone = [gen.sample(seed=40 + i, **settings) for i in range(16)]
    assert together == alone and len(set(alone)) == 16


def test_rows_with_different_settings_share_a_batch_without_touching_each_other(tiny_run):
    gen = Generator.from_checkpoint(tiny_run / "best.pt")
    settings = [SampleSettings(prime=p, temperature=t, max_length=m, seed=s, guard=g, top_k=k)
                for p, t, m, s, g, k in [("<html>", 0.8, 400, 1, True, None), ("<h1>", 1.3, 150, 2, False, None),
                                         ("<p>", 0.5, 600, 3, True, 5), ("<ul>", 1.0, 90, 4, True, None)]]
    batch = gen.batch(4)
    texts = {i: [s.prime] for i, s in enumerate(settings)}
    for i, s in enumerate(settings):
        batch.add(i, s, s.seed)
    while len(batch):
        for i, ch, _ in batch.advance():
            texts[i].append(ch)
    assert ["".join(t) for t in texts.values()] == [gen.sample(s) for s in settings]


def test_the_nn_reference_writes_the_same_text_as_the_fp32_kernel(tiny_run):
    native_gen = Generator.from_checkpoint(tiny_run / "best.pt", precision="fp32")
    reference = Generator.from_checkpoint(tiny_run / "best.pt", backend="torch")
    assert (native_gen.backend, reference.backend) == ("native", "torch")
    for seed in range(3):
        kw = dict(seed=seed, temperature=0.8, max_length=400, stop=None)
        assert native_gen.sample(**kw) == reference.sample(**kw)
    assert native_gen.generate(3, seed=5, max_length=200) == reference.generate(3, seed=5, max_length=200)


def test_gru_rnn_and_odd_sizes_sample_through_the_nn_path():
    vocab = Vocab("abcdefghij")
    for cell, units in (("gru", 48), ("rnn", 48), ("lstm", 30)):
        gen = Generator(random_model(cell, 2, units=units, vocab=10, scale=0.1), vocab)
        assert gen.backend == "torch"
        text = gen.sample(prime="abc", seed=3, max_length=300, stop=None)
        assert len(text) == 303 and text == gen.sample(prime="abc", seed=3, max_length=300, stop=None)


def test_unknown_precisions_and_impossible_combinations_are_refused():
    model, vocab = random_model(vocab=10), Vocab("abcdefghij")
    with pytest.raises(SettingsError, match="precision must be one of fp32, fp16"):
        Generator(model, vocab, precision="int4")
    with pytest.raises(SettingsError, match="the torch path is fp32"):
        Generator(model, vocab, precision="fp16", backend="torch")


def masks_agree(chars: str, text: str, wrap_up: int) -> None:
    """Feed text to both guards; at every position the allowed characters and their bias agree."""
    vocab = Vocab(chars)
    tables = VocabTables(vocab)
    lib = native.lib()
    row = native.Row()
    row.guard, row.wrap_up = 1, wrap_up
    py_guard, constraint = TagGuard(), HtmlConstraint(chars, wrap_up)
    for written, ch in enumerate(text):
        logits = torch.zeros(len(chars))
        expected = constraint.apply(logits, py_guard, written)
        row.written = written
        got = torch.zeros(len(chars))
        lib.dj_constrain(ctypes.byref(tables.struct), ctypes.byref(row), got.data_ptr())
        assert torch.equal(torch.isfinite(got), torch.isfinite(expected)), (text[:written], ch)
        assert torch.allclose(got[torch.isfinite(got)], expected[torch.isfinite(expected)]), text[:written]
        py_guard.feed(ch)
        lib.dj_guard_feed(ctypes.byref(tables.struct), ctypes.byref(row), vocab.index[ch])


def test_the_c_guard_allows_exactly_what_the_python_reference_allows():
    rng = random.Random(0)
    pieces = ["<", ">", "/", "</", "<p>", "<ul>", "<li>", "</li>", "<br>", "<hr/>", "<h1 a=b>", "<BR>", "text",
              "x", " ", "\n", "<<", "</p", "1", "<img>", "<Ul>", "</UL>", "<h4>", "</h4", "(", ")", '"', "((((",
              "long stretch inside a parenthesis, " * 3]
    chars = "".join(sorted(set("".join(pieces))))
    for trial in range(200):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(5, 60)))
        masks_agree(chars, text, wrap_up=rng.choice([0, 10, 50]))


def test_along_real_postings_and_strays_from_them_the_c_guard_holds_to_the_corpus_elements_as_python_does():
    corpus = make_corpus(2)
    strays = ["<positions>", "<body>", "<html>", "<div>x<p>", "<P>", "<h5>", "<li>", "<ul>\n<ul>"]
    chars = "".join(sorted(set(corpus + "".join(strays))))
    rng = random.Random(1)
    for trial in range(10):
        cut = rng.randrange(len(corpus))
        masks_agree(chars, corpus[:cut] + rng.choice(strays) + corpus[cut:cut + 300], wrap_up=rng.choice([0, 500]))


def test_a_vocabulary_without_lower_case_or_angle_brackets_is_left_alone_where_python_leaves_it():
    masks_agree("<>/ABPab", "<P>ab</P><A>b</A><a>", wrap_up=3)
    masks_agree("ab/", "a/b/ab", wrap_up=1)


def allowed_after(chars: str, text: str) -> set[str]:
    vocab, lib = Vocab(chars), native.lib()
    tables, row = VocabTables(vocab), native.Row()
    row.guard, row.wrap_up = 1, -1
    for ch in text:
        lib.dj_guard_feed(ctypes.byref(tables.struct), ctypes.byref(row), vocab.index[ch])
    logits = torch.zeros(len(chars))
    lib.dj_constrain(ctypes.byref(tables.struct), ctypes.byref(row), logits.data_ptr())
    return {c for c, x in zip(chars, logits.tolist()) if x == 0}


def test_past_the_names_and_depths_it_can_track_the_c_guard_closes_instead():
    chars = "/<>ab"
    assert allowed_after(chars, "<" + "a" * (native.MAX_NAME - 1)) == {"a", "b", ">"}
    assert allowed_after(chars, "<" + "a" * native.MAX_NAME) == {">"}
    assert allowed_after(chars, "<b>" * (native.MAX_DEPTH - 1) + "<") == {"a", "b", "/"}
    assert allowed_after(chars, "<b>" * native.MAX_DEPTH + "<") == {"/"}


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="instruction-set levels are x86-64's")
def test_the_same_seed_writes_the_same_postings_whatever_instruction_set_the_kernel_is_built_for(tmp_path):
    """x86-64-v2 (SSE4.2: no AVX, no FMA), x86-64-v3 (AVX2) and this CPU's own (AVX2 or AVX-512):
    both demos (the LSTM and the transformer, whose int8 attention has a path per level) x 3
    precisions x 4 postings of 200 characters (a batch of 2, then 2 alone): past the header, and
    few and short, as the scalar x86-64-v2 build takes most of the test's time."""
    demos = [DEMO, DEMO_TRANSFORMER]
    if not all(d.exists() for d in demos):
        pytest.skip("the shipped demo checkpoints are missing")
    # The three levels build and sample side by side, one thread each: the test waits on the slowest.
    jobs = {march: subprocess.Popen([sys.executable, str(Path(__file__).with_name("isa_texts.py")), "2", "200",
                                     *map(str, demos)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=dict(os.environ, PYTHONPATH=str(ROOT), DREAMJOBS_MARCH=march,
                                             XDG_CACHE_HOME=str(tmp_path / march), OMP_NUM_THREADS="1"))
            for march in ("x86-64-v2", "x86-64-v3", "native")}
    runs = {}
    try:
        for march, job in jobs.items():
            out, err = job.communicate(timeout=900)
            assert job.returncode == 0, err[-2000:]
            runs[march] = json.loads(out.strip().splitlines()[-1])
    finally:
        for job in jobs.values():
            job.kill()
    assert len({run["library"] for run in runs.values()}) == 3  # three builds, not one cached thrice
    assert len(runs["native"]["digests"]) == 6
    for key, digests in runs["native"]["digests"].items():
        assert len(set(digests)) == len(digests)  # different seeds, different postings
        for march in ("x86-64-v2", "x86-64-v3"):
            assert runs[march]["digests"][key] == digests, (march, key)


def paced(costs: dict[int, float], steps: int, most: int = 2) -> tuple[native.Pacer, list[int]]:
    """Drive a pacer through `steps` steps whose seconds depend on the thread count only."""
    lib, pacer = native.lib(), native.Pacer()
    lib.dj_pacer_init(ctypes.byref(pacer), most, 0)
    used = []
    for _ in range(steps):
        t = lib.dj_pace_threads(ctypes.byref(pacer), 16)
        used.append(t)
        lib.dj_pace_done(ctypes.byref(pacer), costs[t])
    return pacer, used


def test_the_pacer_leaves_a_second_thread_that_the_machine_is_too_busy_to_run():
    pacer, used = paced({1: 1.0, 2: 3.0}, 2000)  # a busy neighbour: two threads wait on each other
    assert pacer.rungs[pacer.at] == 1 and used[:8] == [2] * 8
    assert used[-1000:].count(2) < 50  # trials of two threads back off once they keep losing


def test_on_a_quiet_machine_the_pacer_keeps_every_core_and_rarely_tries_fewer():
    pacer, used = paced({1: 1.9, 2: 1.0}, 20000)
    # A trial window in every 33 (so that a load that comes is found within a second): 3% of steps.
    assert pacer.rungs[pacer.at] == 2 and used.count(1) / len(used) < 0.05


def test_the_pacer_climbs_to_the_best_of_many_cores():
    pacer, used = paced({1: 8.0, 2: 4.0, 4: 2.0, 8: 1.0, 16: 1.5}, 5000, most=16)
    assert list(pacer.rungs)[:pacer.n_rungs] == [1, 2, 4, 8, 16]
    assert pacer.rungs[pacer.at] == 8


def test_text_does_not_depend_on_the_thread_count(tiny_run):
    texts = [Generator.from_checkpoint(tiny_run / "best.pt", threads=t).generate(6, seed=3, max_length=300)
             for t in (1, 2, 3)]
    assert texts[0] == texts[1] == texts[2]
