import pytest

from charlm import Generator, SampleSettings


@pytest.fixture(scope="module")
def gen(tiny_run):
    return Generator.from_checkpoint(tiny_run / "best.pt")


def run_rows(batch, keys):
    texts = {k: [] for k in keys}
    while len(batch):
        for key, ch, _ in batch.advance():
            texts[key].append(ch)
    return {k: "".join(v) for k, v in texts.items()}


def test_rows_that_join_late_or_leave_early_write_what_they_write_alone(gen):
    s = SampleSettings(max_length=120, seed=None)
    alone = {seed: gen.sample(SampleSettings(max_length=120, seed=seed))[len(s.prime):] for seed in (3, 4, 5)}
    batch = gen.batch(3)
    batch.add("a", s, 3)
    batch.add("gone", s, 99)
    firsts = [batch.advance() for _ in range(7)]  # "a" and "gone" are 7 characters in
    batch.remove("gone")
    batch.add("b", s, 4)
    batch.add("c", s, 5)
    rest = run_rows(batch, ["a", "b", "c"])
    a_start = "".join(ch for step in firsts for key, ch, _ in step if key == "a")
    assert a_start + rest["a"] == alone[3]
    assert rest["b"] == alone[4] and rest["c"] == alone[5]


def test_a_full_batch_refuses_a_row_and_a_zero_length_one_is_done_at_once(gen):
    batch = gen.batch(1)
    assert batch.add("empty", SampleSettings(max_length=0), 1) is False and len(batch) == 0
    assert batch.add("one", SampleSettings(max_length=5), 1) is True
    with pytest.raises(RuntimeError, match="full"):
        batch.add("two", SampleSettings(max_length=5), 2)


def test_each_row_ends_at_its_own_length_and_says_so_on_its_last_character(gen):
    batch = gen.batch(2)
    batch.add("short", SampleSettings(max_length=3, stop=None), 1)
    batch.add("long", SampleSettings(max_length=9, stop=None), 2)
    done_at = {}
    step = 0
    while len(batch):
        step += 1
        for key, _, done in batch.advance():
            if done:
                done_at[key] = step
    assert done_at == {"short": 3, "long": 9}
