from conftest import run_module, run_modules


def test_cli_prints_n_postings_reproducibly(tiny_run):
    args = [str(tiny_run / "best.pt"), "--temperature", "0.8", "--prime", "<html>", "--length", "300",
            "--seed", "1", "-n", "3"]
    first = run_module("charlm.sample", *args)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("<html>") >= 3
    assert first.stdout == run_module("charlm.sample", *args).stdout


def test_cli_without_seed_prints_the_seed_it_drew(tiny_run):
    proc = run_module("charlm.sample", str(tiny_run / "best.pt"), "--length", "20")
    assert proc.returncode == 0
    seed = proc.stderr.split("seed: ")[1].split()[0]
    again = run_module("charlm.sample", str(tiny_run / "best.pt"), "--length", "20", "--seed", seed)
    assert again.stdout == proc.stdout


def test_cli_samples_int8_by_default_and_fp32_on_request(tiny_run):
    from charlm import Generator

    args = [str(tiny_run / "best.pt"), "--length", "300", "--seed", "4"]
    default = run_module("charlm.sample", *args)
    assert default.returncode == 0, default.stderr
    assert default.stdout == run_module("charlm.sample", *args, "--precision", "int8").stdout
    fp32 = run_module("charlm.sample", *args, "--precision", "fp32")
    assert fp32.returncode == 0
    assert fp32.stdout.rstrip("\n") == Generator.from_checkpoint(tiny_run / "best.pt", backend="torch").sample(
        seed=4, max_length=300)


def test_cli_writes_a_requested_title_and_location_into_the_frame(tiny_run):
    from dreamjobs.corpus_format import frame_fields as frame

    proc = run_module("charlm.sample", str(tiny_run / "best.pt"), "--length", "400", "--seed", "2",
                      "--title", "Dream Data Scientist", "--location", "Seattle, WA")
    assert proc.returncode == 0, proc.stderr
    title, company, location = frame(proc.stdout)
    assert (title, location) == ("Dream Data Scientist", "Seattle, WA") and company
    bad = run_module("charlm.sample", str(tiny_run / "best.pt"), "--title", "Café")
    assert bad.returncode == 2 and "title has characters the model's vocabulary lacks: 'é'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_cli_bad_input_is_one_line_and_exit_2(tiny_run, tmp_path):
    cases = [
        ([str(tiny_run / "best.pt"), "--prime", "naïve"], "prime has characters the model's vocabulary lacks: 'ï'"),
        ([str(tmp_path / "nope.pt")], "checkpoint " + str(tmp_path / "nope.pt") + " not found"),
        ([str(tiny_run / "best.pt"), "--temperature", "-1"], "--temperature must be between 0.1 and 2.0"),
        ([str(tiny_run / "best.pt"), "--temperature", "99"], "--temperature must be between 0.1 and 2.0 (as in the gallery)"),
        ([str(tiny_run / "best.pt"), "--precision", "int4"], "invalid choice: 'int4'"),
        ([str(tiny_run / "best.pt"), "--length", "0"], "--length between 1 and 1,000,000"),
        ([str(tiny_run / "best.pt"), "--length", "99999999999"], "--length between 1 and 1,000,000"),
        (["README.md"], "README.md is not a checkpoint: a .pt file written by python -m charlm.train is expected"),
        ([str(tmp_path)], "is a folder without a best.pt"),
        ([str(tiny_run / "best.pt"), "--top-p", "0"], "--top-p must be in (0, 1], got 0.0"),
        ([str(tiny_run / "best.pt"), "--min-p", "1"], "--min-p must be in [0, 1), got 1.0"),
        ([str(tiny_run / "best.pt"), "--device", "cuda"], "--device cuda: no CUDA GPU is available"),
    ]
    import torch

    if torch.cuda.is_available():
        cases = cases[:-1]
    for (args, message), proc in zip(cases, run_modules([("charlm.sample", args) for args, _ in cases])):
        assert proc.returncode == 2, args
        assert message in proc.stderr and "Traceback" not in proc.stderr


def test_piping_into_head_ends_quietly(tiny_run):
    import os
    import subprocess
    import sys

    from conftest import ROOT

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    sample = subprocess.Popen([sys.executable, "-m", "charlm.sample", str(tiny_run / "best.pt"), "-n", "200",
                               "--length", "2000", "--seed", "1"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = sample.stdout.read(100)  # head -c 100
    sample.stdout.close()
    _, err = sample.communicate(timeout=300)
    assert len(first) == 100 and sample.returncode == 0 and b"Traceback" not in err, err


def test_cli_says_what_it_loads_and_its_help_names_each_default_once(tiny_run):
    proc = run_module("charlm.sample", str(tiny_run / "best.pt"), "--length", "20", "--seed", "1")
    assert proc.returncode == 0
    assert f"loading {tiny_run / 'best.pt'} ..." in proc.stderr and "ready in" in proc.stderr
    assert "native sampler, int8" in proc.stderr
    help_text = run_module("charlm.sample", "--help").stdout
    assert "(default: None)" not in help_text and help_text.count("printed to stderr") == 1
    assert "0.1 to 2.0" in help_text


def test_a_run_folder_stands_for_its_best_checkpoint(tiny_run):
    by_folder = run_module("charlm.sample", str(tiny_run), "--seed", "3", "--length", "80")
    by_file = run_module("charlm.sample", str(tiny_run / "best.pt"), "--seed", "3", "--length", "80")
    assert by_folder.returncode == 0 and by_folder.stdout == by_file.stdout


def test_every_setting_is_checked_before_the_model_loads(tiny_run):
    # Issue 39 #3: bad settings were refused only after seconds of loading.
    for args, message in ((["--top-k", "-2"], "--top-k must be at least 1, got -2"),
                          (["--prime", "☃"], "prime has characters the model's vocabulary lacks"),
                          (["--title", "x" * 300], "title must be at most 200 characters")):
        proc = run_module("charlm.sample", str(tiny_run / "best.pt"), *args)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
        assert "loading" not in proc.stderr  # refused before the load began
