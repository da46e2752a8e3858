"""Count a model's own words, so that its sampler steers them to its corpus's shares:
`python -m charlm.calibrate CKPT`.

Samples -n postings (default 200) at the model family's defaults and the gallery's length cap,
with word shares off, from seed SEED on (the realism measure's are 1-400, so it judges
postings the counts never saw), counts the words and symbols of their bodies and of the train
split's bodies (the uses of each, and the bodies using it: its first uses), and keeps both
beside the checkpoint as word_shares.json.gz, which the sampler reads from then on
(charlm/sampling/word_shares.py). Each further round (--rounds in all, default 3) samples -n more
with the counts so far steering, and counts them again: where a round steers a word too little,
the next steers it further.
It needs the corpus the model learned from. About 2 minutes a round for a demo on 2 cores;
Ctrl-C stops it with nothing saved.
"""

from __future__ import annotations

from dataclasses import replace

from dreamjobs.cli import parser, run_cli

from . import checkpoint as ckpt_io
from .data import read_corpus
from .errors import CharLMError
from .evaluate import sampled
from .sampling.generator import Generator
from .sampling.settings import POSTING_LENGTH
from .sampling.word_shares import WordShares, body_counts

SEED = 10_001  # the first posting's; far from the realism measure's 1-400
ROUNDS = 3  # the third took the transformer nearer real, the LSTM no further (BENCHMARKS.md, "Word shares")


def calibrate(checkpoint: str, n: int = 200, seed: int = SEED, data: str | None = None,
              rounds: int = ROUNDS) -> WordShares:
    path = ckpt_io.resolve(checkpoint)
    ckpt = ckpt_io.load(path)
    corpus = data or (ckpt.get("train_config") or {}).get("data")
    if not corpus:
        raise CharLMError(f"{path} does not say what corpus it learned from; pass --data FILE")
    text = read_corpus(corpus)
    if ckpt_io.corpus_changed(ckpt, text):
        raise CharLMError(f"{corpus} is not the corpus {path} learned from (it changed since): its counts would "
                          "not be the model's corpus's")
    split = ckpt_io.training_split(ckpt, text)
    gen = Generator.from_checkpoint(path)
    settings = gen.settings(seed=seed, word_shares=False, max_length=POSTING_LENGTH)
    if not gen.vocab_tables.body_words:
        raise CharLMError(f"{path} has no body word list (its profile.json.gz): word shares go with the "
                          "known-words guard's trie")
    uses, firsts = body_counts(split.train)
    own_uses, own_firsts = body_counts(sampled(gen, n, settings))
    shares = WordShares(uses, own_uses, n, firsts, own_firsts)
    for k in range(1, rounds):  # each round samples with the counts so far steering, at seeds of its own
        gen = Generator.from_checkpoint(path, word_shares=shares)
        counted = body_counts(sampled(gen, n, replace(settings, seed=seed + k * n, word_shares=True)))
        shares = replace(shares, rounds=(*shares.rounds, counted))
    return shares


def main(argv: list[str] | None = None) -> int:
    p = parser("python -m charlm.calibrate", __doc__)
    p.add_argument("checkpoint", help="a .pt file written by python -m charlm.train, or its run folder")
    p.add_argument("--data", help="the corpus the model learned from (default: the path its checkpoint records)")
    p.add_argument("-n", type=int, default=200, help="the model's postings to count (default 200)")
    p.add_argument("--seed", type=int, default=SEED, help=f"the first posting's seed (default {SEED})")
    p.add_argument("--rounds", type=int, default=ROUNDS, help=f"rounds of counting (default {ROUNDS})")
    args = p.parse_args(argv)
    if not 20 <= args.n <= 10_000:
        p.error(f"-n must be 20..10,000, got {args.n}")
    if not 1 <= args.rounds <= 5:
        p.error(f"--rounds must be 1..5, got {args.rounds}")
    shares = calibrate(args.checkpoint, args.n, args.seed, args.data, args.rounds)
    path = shares.save(ckpt_io.resolve(args.checkpoint).resolve().parent)
    print(f"{sum(shares.model.values()):,} words and symbols of {shares.postings} postings a round, "
          f"{1 + len(shares.rounds)} rounds, against "
          f"{sum(shares.corpus.values()):,} of the train split -> {path}")
    return 0


if __name__ == "__main__":
    run_cli(main)
