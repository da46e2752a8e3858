import shutil

import pytest
import torch

from charlm import Generator
from charlm.calibrate import ROUNDS, main
from charlm.sampling.word_shares import WORD_SHARES, load_word_shares
from conftest import run_module


@pytest.fixture
def run(tiny_run, tmp_path):
    shutil.copytree(tiny_run, tmp_path / "tiny", symlinks=True)
    return tmp_path / "tiny"


def test_calibrate_keeps_the_models_and_the_corpuss_words_beside_the_checkpoint(run, capsys):
    assert main([str(run / "best.pt"), "-n", "20"]) == 0
    shares = load_word_shares(run / "best.pt")
    assert shares is not None and shares.postings == 20 and "work" in shares.model and "work" in shares.corpus
    assert len(shares.rounds) == ROUNDS - 1  # each sampled with the rounds before it steering
    for uses, firsts in shares.rounds:
        assert "work" in uses and sum(firsts.values()) <= sum(uses.values()) and uses != shares.model
    assert WORD_SHARES in capsys.readouterr().out
    assert Generator.from_checkpoint(run / "best.pt").vocab_tables.word_shares


def test_calibrate_refuses_a_corpus_that_changed_since_training_and_bad_counts(run):
    ckpt = torch.load(run / "best.pt", map_location="cpu", weights_only=False)
    changed = run / "changed.txt"
    changed.write_text(open(ckpt["train_config"]["data"]).read() + "<html>\n</html>\n")
    ckpt["train_config"]["data"] = str(changed)
    torch.save(ckpt, run / "best.pt")
    proc = run_module("charlm.calibrate", str(run / "best.pt"), "-n", "20")
    assert proc.returncode == 2 and "not the corpus" in proc.stderr and "Traceback" not in proc.stderr
    assert not (run / WORD_SHARES).exists()
    proc = run_module("charlm.calibrate", str(run / "best.pt"), "-n", "5")
    assert proc.returncode == 2 and "-n must be" in proc.stderr
    proc = run_module("charlm.calibrate", str(run / "best.pt"), "--rounds", "0")
    assert proc.returncode == 2 and "--rounds must be" in proc.stderr
    proc = run_module("charlm.calibrate", str(run / "best.pt"), "--data", str(run / "missing.txt"))
    assert proc.returncode == 2 and "missing.txt not found" in proc.stderr and "Traceback" not in proc.stderr
