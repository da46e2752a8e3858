"""nanoGPT's data folder (train.bin, val.bin, meta.pkl) from this project's corpus and split.

    python benchmarks/nanogpt_data.py corpus/input.txt OUT_DIR

The split is charlm.train's own (by posting, --val-frac 0.1, --seed 123) and the
vocabulary its sorted characters, as nanoGPT's shakespeare_char/prepare.py builds one, so
both models learn and are scored on the same text.
"""

import pickle
import sys
from pathlib import Path

import numpy as np

from charlm.training.config import TrainConfig
from charlm.data import Vocab, read_corpus, split_by_document
from dreamjobs.corpus_format import split_documents

text = read_corpus(sys.argv[1])
out = Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
cfg = TrainConfig()
split = split_by_document(split_documents(text), cfg.val_frac, cfg.seed)
vocab = Vocab.from_text(text)
for name, docs in (("train", split.train), ("val", split.val)):
    ids = np.array([vocab.index[c] for c in "".join(docs)], dtype=np.uint16)
    ids.tofile(out / f"{name}.bin")
    print(f"{name}: {len(docs):,} postings, {len(ids):,} characters")
with open(out / "meta.pkl", "wb") as fh:
    pickle.dump({"vocab_size": len(vocab), "itos": dict(enumerate(vocab.chars)), "stoi": dict(vocab.index)}, fh)
