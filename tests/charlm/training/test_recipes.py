"""Recipes as files (issue 38): each parses into a run's settings, each family trains under one,
and --init-from takes its checkpoint's own family's recipe."""

import pytest

from charlm import checkpoint as ckpt_io
from charlm.train import main
from charlm.training import recipes
from charlm.training.config import TrainConfig
from conftest import run_module

TINY_SIZES = ["--rnn-size", "32", "--num-layers", "1", "--batch-size", "8", "--max-epochs", "1", "--device", "cpu"]


@pytest.mark.parametrize("name", recipes.names())
def test_each_recipe_reads_as_a_runs_settings(name):
    description, options = recipes.read(name)
    assert description and "\n" not in description
    cfg = TrainConfig.from_options(options)
    for key, value in options.items():
        assert getattr(cfg.model if hasattr(cfg.model, key) else cfg, key) == value


def test_the_recipes_named_by_the_issue_are_there():
    assert {"lstm-gpu", "lstm-gpu-large-batch", "transformer-gpu", "transformer-cpu", "laptop-1h",
            "demo-finetune"} <= set(recipes.names())


@pytest.mark.parametrize("recipe, family, mark", [("lstm-gpu", "lstm", ("log_every", 50)),
                                                  ("transformer-cpu", "transformer", ("optimizer", "muon"))])
def test_a_tiny_run_of_each_family_trains_under_a_recipe_with_options_beside_it(recipe, family, mark, small_corpus,
                                                                                tmp_path, capsys):
    extra = ["--n-head", "2", "--block-size", "32"] if family == "transformer" else []
    assert main(["--recipe", recipe, "--data", str(small_corpus), "--checkpoint-dir", str(tmp_path),
                 "--run-name", "r", *TINY_SIZES, *extra, "--threads", "1"]) == 0
    assert "1 CPU thread(s)" in capsys.readouterr().out
    ckpt = ckpt_io.load(tmp_path / "r" / "best.pt")
    assert ckpt["config"]["model"] == family and ckpt["config"]["rnn_size"] == 32  # the options given win
    assert ckpt["train_config"][mark[0]] == mark[1] and ckpt["train_config"]["device"] == "cpu"


def test_init_from_a_transformer_without_model_gets_the_transformers_recipe(tiny_transformer_run, small_corpus,
                                                                             tmp_path):
    assert main(["--init-from", str(tiny_transformer_run / "best.pt"), "--data", str(small_corpus),
                 "--checkpoint-dir", str(tmp_path), "--run-name", "fine", "--max-epochs", "1",
                 "--batch-size", "8"]) == 0
    cfg = ckpt_io.load(tmp_path / "fine" / "best.pt")["train_config"]
    assert (cfg["lr_schedule"], cfg["weight_decay"], cfg["beta2"]) == ("cosine", 0.1, 0.99)


def test_recipe_list_says_what_each_is_and_an_unknown_one_is_one_line():
    listed = run_module("charlm.train", "--recipe", "list")
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == recipes.names()
    unknown = run_module("charlm.train", "--recipe", "fast")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1
    assert "no recipe 'fast'; the recipes are demo-finetune," in unknown.stderr
