"""The transformer family: its rolling key/value cache, its val scoring, and its training run."""

import math
import os
import signal

import pytest
import torch

from charlm import checkpoint as ckpt_io
from charlm.training.config import TrainConfig
from charlm.sampling.generator import Generator
from charlm.models import ModelConfig, build, keep_layers
from charlm.models.transformer import EXPLICIT_MAX_WINDOW, attend_window
from charlm.loss import stream_loss
from charlm.training.objective import make_optimizer
from charlm.train import main
from charlm.training.trainer import Trainer
from conftest import TINY_TRANSFORMER

WINDOW = 8


def model(seed: int = 0, layers: int = 2) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build(ModelConfig(vocab_size=30, model="transformer", rnn_size=32, num_layers=layers, n_head=2,
                             block_size=WINDOW, dropout=0.0)).eval()


@torch.no_grad()
def test_the_rolling_cache_gives_the_logits_of_a_full_recompute_over_the_same_text():
    m, seq = model(), torch.randint(0, 30, (3, 5 * WINDOW))
    whole, _ = m(seq, None)  # every position at once: each layer attends over the window before it
    state = m.init_state(3)
    stepped = torch.cat([m(seq[:, t:t + 1], state)[0] for t in range(seq.shape[1])], dim=1)
    state = m.init_state(3)
    chunked = torch.cat([m(seq[:, a:a + 11], state)[0] for a in range(0, seq.shape[1], 11)], dim=1)
    assert (stepped - whole).abs().max() < 1e-5 and (chunked - whole).abs().max() < 1e-5
    assert state[2].tolist() == [[5 * WINDOW] * 3]  # the cache counts what each row has read


@torch.no_grad()
def test_kept_blocks_compute_what_the_whole_model_computes_without_the_others():
    whole, seq = model(layers=3), torch.randint(0, 30, (2, WINDOW))
    config, weights = keep_layers(whole.config, whole.state_dict(), [0, 2])
    shallow = build(config).eval()
    shallow.load_state_dict(weights)
    del whole.blocks[1]  # the same network, by hand: block 1 taken out
    assert config.num_layers == 2 and torch.equal(shallow(seq)[0], whole(seq)[0])


@torch.no_grad()
def test_within_its_first_window_the_cache_gives_what_training_computes():
    m, seq = model(1), torch.randint(0, 30, (2, WINDOW))
    train_loss = m(seq[:, :-1], targets=seq[:, 1:])[0]
    logits, _ = m(seq[:, :-1], None)
    assert torch.nn.functional.cross_entropy(logits.flatten(0, 1), seq[:, 1:].flatten()) == pytest.approx(
        train_loss.item(), abs=1e-5)


@torch.no_grad()
def test_a_character_sees_exactly_the_window_before_it_in_each_layer():
    m, seq = model(2, layers=1), torch.randint(0, 30, (1, 3 * WINDOW))
    base, _ = m(seq, None)
    changed = seq.clone()
    changed[0, WINDOW] = (seq[0, WINDOW] + 1) % 30
    moved = (m(changed, None)[0] - base).abs().amax(dim=-1)[0]
    # One layer: position WINDOW's change reaches positions WINDOW .. 2*WINDOW - 1 and no further.
    assert (moved[:WINDOW] == 0).all() and (moved[WINDOW:2 * WINDOW] > 0).all() and (moved[2 * WINDOW:] == 0).all()


@pytest.mark.parametrize("window", [WINDOW, EXPLICIT_MAX_WINDOW, EXPLICIT_MAX_WINDOW + 1])
def test_window_attention_in_bf16_on_a_cpu_matches_float32_forward_and_backward(window):
    # Windows up to EXPLICIT_MAX_WINDOW take the plain products, longer ones torch's fused kernel:
    # either way, what training computes and differentiates is causal attention.
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 2, window, 16, requires_grad=True) for _ in range(3))
    exact = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    grad = torch.randn_like(exact)
    wanted = torch.autograd.grad(exact, (q, k, v), grad)
    low = [t.detach().bfloat16().requires_grad_() for t in (q, k, v)]
    got = attend_window(*low, 0.0)
    assert got.dtype == torch.bfloat16 and (got.float() - exact).abs().max() < 0.05
    for g, w in zip(torch.autograd.grad(got, low, grad.bfloat16()), wanted):
        assert (g.float() - w).abs().max() < 0.05 * w.abs().max()
    future = window // 2  # nothing before it changes when a later character does
    moved_v = v.detach().bfloat16().clone()
    moved_v[:, :, future:] += 1
    changed = attend_window(low[0].detach(), low[1].detach(), moved_v, 0.0)
    assert torch.equal(changed[:, :, :future], got.detach()[:, :, :future])


def test_window_attention_drops_weights_when_given_a_dropout():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 2, WINDOW, 16).bfloat16() for _ in range(3))
    assert torch.equal(attend_window(q, k, v, 0.0), attend_window(q, k, v, 0.0))
    assert not torch.equal(attend_window(q, k, v, 0.5), attend_window(q, k, v, 0.0))


@torch.no_grad()
def test_val_scoring_in_streams_is_the_loss_of_sampling_one_character_at_a_time():
    m, ids = model(3), torch.randint(0, 30, (301,))
    scored = stream_loss(m, ids, n_streams=4, width=7, device=torch.device("cpu"))[0]
    from charlm.data import eval_streams

    x, y = eval_streams(ids, 4)
    state, total = m.init_state(4), 0.0
    for t in range(x.shape[1]):
        logits, state = m(x[:, t:t + 1], state)
        total += torch.nn.functional.cross_entropy(logits[:, 0], y[:, t], ignore_index=-100, reduction="sum").item()
    assert scored == pytest.approx(total / 300, abs=1e-5)


def test_the_transformer_recipe_warms_up_then_follows_a_cosine_to_its_floor():
    cfg = TrainConfig.from_options({"model": "transformer"})
    assert (cfg.model.rnn_size, cfg.model.num_layers, cfg.model.n_head, cfg.seq_length) == (384, 6, 6, 256)
    assert cfg.lr_at(1, 0, 0.0) == pytest.approx(cfg.learning_rate / cfg.warmup_steps)
    assert cfg.lr_at(1, cfg.warmup_steps, 0.0) == pytest.approx(cfg.learning_rate)
    assert cfg.lr_at(3, 10_000, 0.5) == pytest.approx((cfg.learning_rate + cfg.min_lr) / 2)
    assert cfg.lr_at(9, 10_000, 1.0) == pytest.approx(cfg.min_lr) == cfg.lr_at(9, 10_000, 1.7)
    assert TrainConfig.from_options({"model": "transformer", "learning_rate": 5e-4}).learning_rate == 5e-4
    assert TrainConfig.from_options({}).lr_schedule == "step"  # the LSTM's recipe does not move


def test_weight_decay_falls_on_matrices_only():
    m = model()
    groups = make_optimizer(m, 1e-3, torch.device("cpu"), weight_decay=0.1, beta2=0.99).param_groups
    decayed, kept = groups
    assert decayed["weight_decay"] == 0.1 and all(p.dim() == 2 for p in decayed["params"])
    assert kept["weight_decay"] == 0.0 and kept["params"] and all(p.dim() == 1 for p in kept["params"])


def test_a_window_longer_than_the_model_attends_over_is_refused(small_corpus, tmp_path, capsys):
    with pytest.raises(Exception, match="--seq-length 64 is longer than the transformer's --block-size 32"):
        main(["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), *TINY_TRANSFORMER,
              "--seq-length", "64"])
    with pytest.raises(Exception, match="--n-head must split the width"):
        main(["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), *TINY_TRANSFORMER, "--n-head", "3"])


def test_it_trains_saves_per_epoch_and_samples_on_a_cpu_without_the_corpus(tiny_transformer_run, tmp_path):
    vals = [h["val_loss"] for h in ckpt_io.load(tiny_transformer_run / "latest.pt")["history"]]
    assert len(vals) == 3 and vals[-1] < vals[0] < math.log(60)
    ckpt = ckpt_io.load(tiny_transformer_run / "best.pt")
    assert ckpt["config"]["model"] == "transformer" and ckpt["config"]["block_size"] == 64
    assert ckpt["config"]["header_slots"] == 64 and "blocks.1.attn.header_gate" in ckpt["model_state"]
    gen = Generator.from_checkpoint(tiny_transformer_run / "best.pt")
    assert gen.backend == "native" and gen.precision == "int8"  # the C kernel, as the LSTM (issue 27)
    texts = gen.generate(3, seed=5, max_length=200)
    assert texts[0].startswith("<html>") and len(set(texts)) == 3
    assert gen.sample(seed=6, max_length=200) == gen.sample(seed=6, max_length=200)


@pytest.mark.parametrize("optimizer", ["adam", "muon"])
def test_ctrl_c_mid_run_resumes_exactly_where_the_uninterrupted_run_goes(optimizer, small_corpus, tmp_path, monkeypatch,
                                                                          capsys):
    # Bit for bit needs one thread count throughout: paced threads change the order of sums.
    common = ["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), *TINY_TRANSFORMER, "--max-epochs", "2",
              "--optimizer", optimizer, "--threads", "1"]
    assert main([*common, "--run-name", "whole"]) == 0
    said = {"adam": "optimizer AdamW; learning rate", "muon": "optimizer Muon on the hidden matrices, AdamW on the rest"}
    assert said[optimizer] in capsys.readouterr().out
    real_step = Trainer.train_step

    def step_then_ctrl_c(self, x, y):
        loss = real_step(self, x, y)
        if self.step == 70:  # in epoch 2: warm-up over, the cosine under way, dropout's RNG in flight
            os.kill(os.getpid(), signal.SIGINT)
        return loss

    monkeypatch.setattr(Trainer, "train_step", step_then_ctrl_c)
    assert main([*common, "--run-name", "cut"]) == 130
    monkeypatch.setattr(Trainer, "train_step", real_step)
    assert main(["--resume", str(tmp_path / "cut")]) == 0
    whole, cut = (ckpt_io.load(tmp_path / run / "latest.pt") for run in ("whole", "cut"))
    assert [h["val_loss"] for h in cut["history"]] == [h["val_loss"] for h in whole["history"]]
    assert all(torch.equal(v, cut["model_state"][k]) for k, v in whole["model_state"].items())
