import pytest
import torch

from charlm.errors import SettingsError, VocabError
from charlm.sampling.generator import Generator, SampleSettings
from charlm.models import CharRNN, ModelConfig
from charlm.data import Vocab


@pytest.fixture(scope="module")
def gen(tiny_run):
    return Generator.from_checkpoint(tiny_run / "best.pt")


def test_same_seed_same_text_other_seed_other_text(gen):
    a = gen.sample(seed=5, max_length=300)
    assert a == gen.sample(seed=5, max_length=300)
    assert a != gen.sample(seed=6, max_length=300)
    assert a.startswith("<html>")


def test_stream_yields_the_prime_then_one_character_at_a_time(gen):
    pieces = list(gen.stream(prime="<h1>", seed=3, max_length=50))
    assert pieces[0] == "<h1>"
    assert all(len(p) == 1 for p in pieces[1:])
    assert "".join(pieces) == gen.sample(prime="<h1>", seed=3, max_length=50)


def test_generation_stops_right_after_the_stop_string(gen):
    # Every posting's frame closes an <h2>: the first one ends it, whatever the seed's body.
    text = gen.sample(stop="</h2>", seed=1, max_length=3000)
    assert text.endswith("</h2>") and text.count("</h2>") == 1 and "<h1>" in text
    unbounded = gen.sample(stop=None, seed=1, max_length=500)
    assert len(unbounded) == len("<html>") + 500


def test_max_length_caps_generated_characters(gen):
    assert len(gen.sample(prime="<", seed=2, max_length=17, stop=None)) == 18


def test_low_temperature_approaches_argmax(gen):
    greedy = gen.sample(argmax=True, max_length=200, stop=None)
    for seed in range(5):
        assert gen.sample(temperature=0.01, frame_temperature=None, seed=seed, max_length=200, stop=None) == greedy
        assert gen.sample(top_k=1, seed=seed, max_length=200, stop=None) == greedy
        assert gen.sample(temperature=1.0, seed=seed, max_length=200, stop=None) != greedy


def test_top_k_only_draws_among_the_k_likeliest():
    # A model whose output ignores its input: fixed logits, so the top 2 ids are known.
    vocab = Vocab("abcd")
    model = CharRNN(ModelConfig(vocab_size=4, rnn_size=4, num_layers=1, dropout=0.0))
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.copy_(torch.tensor([3.0, 2.9, 0.0, -1.0]))
    text = Generator(model, vocab).sample(prime="a", top_k=2, temperature=5.0, seed=0, max_length=300, stop=None)
    assert set(text[1:]) == {"a", "b"}


def test_batched_generation_gives_n_postings_reproducibly(gen):
    texts = gen.generate(3, seed=11, max_length=400)
    assert len(texts) == 3 and all(t.startswith("<html>") for t in texts)
    assert texts == gen.generate(3, seed=11, max_length=400)
    assert len(set(texts)) == 3


@pytest.mark.parametrize("kw, error, message", [
    ({"prime": "<h1>Café ☕"}, VocabError, r"'é' \(U\+00E9\), '☕' \(U\+2615\)"),
    ({"prime": ""}, SettingsError, "at least one character"),
    ({"temperature": 0}, SettingsError, "temperature must be a positive number"),
    ({"max_length": -1}, SettingsError, "max_length"),
    ({"top_k": 0}, SettingsError, "top_k"),
])
def test_bad_settings_are_refused_with_a_message(gen, kw, error, message):
    with pytest.raises(error, match=message):
        gen.sample(**kw)


def test_settings_object_and_keywords_agree(gen):
    s = SampleSettings(prime="<h2>", temperature=0.5, max_length=80, seed=4)
    assert gen.sample(s) == gen.sample(prime="<h2>", temperature=0.5, max_length=80, seed=4)


def test_rows_of_one_batch_with_shared_and_different_primes_write_what_each_writes_alone(gen):
    # A batch keeps each prime's starting state for the next row with that prime (up to 32 of
    # them); 40 different primes, each used twice, also cover what it forgets.
    primes = [f"<p>{'a' * i}" for i in range(40)] * 2
    batch, texts = gen.batch(4), {}
    pending = [(k, SampleSettings(prime=p, max_length=30, seed=k, stop=None)) for k, p in enumerate(primes)]
    while pending or batch.keys:
        while pending and len(batch.keys) < batch.capacity:
            key, s = pending.pop(0)
            s.check(gen.vocab)
            assert batch.add(key, s, s.seed)
            texts[key] = s.prime
        for key, ch, _ in batch.advance():
            texts[key] += ch
    for key, p in enumerate(primes):
        assert texts[key] == gen.sample(prime=p, max_length=30, seed=key, stop=None), p


def test_the_frame_is_drawn_at_its_own_temperature_and_the_body_at_the_rows(gen):
    from dreamjobs.corpus_format import title_line

    cold = [gen.sample(temperature=0.01, frame_temperature=None, seed=s, max_length=300) for s in range(6)]
    assert len({title_line(t) for t in cold}) == 1  # one temperature throughout: the greedy title every time
    warm = [gen.sample(temperature=0.01, frame_temperature=1.0, seed=s, max_length=300) for s in range(6)]
    assert len({title_line(t) for t in warm}) > 1  # the frame drawn at 1.0, whatever the body's temperature


def test_a_generator_says_which_guards_it_samples_without_and_why(tiny_run):
    # Issue 39 #1: without its corpus the copy guard was off, silently.
    from charlm.sampling.generator import Generator

    full = Generator.from_checkpoint(tiny_run / "best.pt")
    assert full.guards_off() == []
    bare = Generator(full.model, full.vocab)  # no copy index, no profile
    notes = bare.guards_off()
    assert len(notes) == 2 and notes[0].startswith("copy guard off: the corpus this model learned from is not at hand")
    assert "a seed writes other text" in notes[0] and notes[1].startswith("known-words guard off")
