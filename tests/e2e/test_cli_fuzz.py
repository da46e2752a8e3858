"""Property tests for the command lines: any invalid number is refused with one line and exit 2, never a
traceback and never exit 0. Run in-process (the parsers and checks are what is under test)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dreamjobs.cli import run_cli
from conftest import TINY

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

not_a_number = st.sampled_from(["nan", "inf", "-inf", "", "1e999", "one", "0x1p3", "²", "1,5"])
negative = st.floats(max_value=-1e-9, allow_nan=False).map(repr) | st.integers(max_value=-1).map(str)
invalid_float = not_a_number | negative | st.just("0")
invalid_int = not_a_number | negative | st.just("0") | st.floats(min_value=0.5, max_value=1e9).map(repr)


def exit_code(main, argv, capsys):
    with pytest.raises(SystemExit) as exc:
        run_cli(lambda: main(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip(), err
    return exc.value.code


@FUZZ
@given(option=st.sampled_from(["--learning-rate", "--max-minutes", "--grad-clip", "--lr-decay", "--dropout"]),
       value=invalid_float.filter(lambda v: v not in ("0.5",)))
def test_train_refuses_invalid_numbers(option, value, small_corpus, tmp_path, capsys):
    from charlm.train import main

    if option in ("--dropout",) and value in ("0",):
        return  # dropout 0 is valid
    argv = ["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), *TINY, f"{option}={value}"]
    assert exit_code(main, argv, capsys) == 2


@FUZZ
@given(option=st.sampled_from(["--rnn-size", "--num-layers", "--seq-length", "--batch-size", "--max-epochs"]),
       value=invalid_int)
def test_train_refuses_invalid_sizes(option, value, small_corpus, tmp_path, capsys):
    from charlm.train import main

    argv = ["--data", str(small_corpus), "--checkpoint-dir", str(tmp_path), *TINY, f"{option}={value}"]
    assert exit_code(main, argv, capsys) == 2


@FUZZ
@given(option=st.sampled_from(["--temperature", "--length", "-n", "--top-k"]),
       value=invalid_float | st.floats(min_value=1.5, max_value=9.5).map(repr))
def test_sample_refuses_invalid_numbers(option, value, tiny_run, capsys):
    from charlm.sample import main

    if option == "--temperature" and value not in ("0",) and value not in ("", "one", "²", "1,5", "0x1p3"):
        try:
            if 0 < float(value) < float("inf"):
                return  # a valid temperature
        except ValueError:
            pass
    assert exit_code(main, [str(tiny_run / "best.pt"), f"{option}={value}", "--length" if option != "--length"
                            else "--seed", "5"], capsys) == 2


@FUZZ
@given(option=st.sampled_from(["--limit", "--delay", "--timeout", "--retries"]), value=invalid_float)
def test_scraper_refuses_invalid_numbers(option, value, tmp_path, capsys):
    from scraper.cli import main

    if option in ("--delay", "--retries") and value == "0":
        return  # no delay and no retries are allowed
    with pytest.raises(SystemExit) as exc:
        main(["--corpus-dir", str(tmp_path), "--from-file", str(tmp_path / "none.json"), f"{option}={value}"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "Traceback" not in err and err.strip()
