"""The word cache trial (not shipped): val loss of val postings with a per-posting word cache mixed into
the model's distribution, character by character (the same mixture as native/guard.c's dj_cache_mix).

    python benchmarks/word_cache_loss.py CKPT N_POSTINGS 0,0.03,0.05,0.08
"""
import sys, math, string
sys.path.insert(0, "/work/main")
import numpy as np, torch
from charlm import checkpoint as ckpt_io
from charlm.data import read_corpus
from charlm.company_slot import model_text
from charlm.sampling.generator import Generator
from charlm.sampling.batch import start_ids
ck_path = sys.argv[1]; n_docs = int(sys.argv[2]); lambdas = [float(x) for x in sys.argv[3].split(",")]
ck = ckpt_io.load(ck_path)
split = ckpt_io.training_split(ck, read_corpus("corpus/input.txt"))
gen = Generator.from_checkpoint(ck_path, threads=2)
V = gen.vocab; chars = V.chars
docs = model_text(split.val[:n_docs], V)
B = len(docs)
stepper = gen.engine.stepper(B)
s0, l0 = stepper.start(start_ids(V, ""))
for b in range(B): stepper.put(b, s0, l0)
letter = np.array([ord(c.lower()) - 97 if c in string.ascii_letters else -1 for c in chars])
is_letter = letter >= 0
is_digit = np.array([c.isdigit() for c in chars])
lower_ids = {l: [i for i in range(len(chars)) if letter[i] == l] for l in range(26)}
L = max(map(len, docs))
ids = [[V.index[c] for c in d] for d in docs]
class Cache:
    def __init__(s): s.prefix = {}; s.end = {}; s.total = 0
    def add(s, w):
        s.total += 1
        for k in range(1, len(w) + 1): s.prefix[w[:k]] = s.prefix.get(w[:k], 0) + 1
        s.end[w] = s.end.get(w, 0) + 1
class RowState:
    def __init__(s, lam): s.lam = lam; s.cache = Cache(); s.word = ""; s.pi = 0.0; s.mode = "between"; s.intag = False; s.exempt = False
    def prob(s, p, x):
        """q(x) under the mixture, and the update."""
        px = p[x]
        if s.intag or s.exempt or s.cache.total == 0 or s.lam == 0:
            return px, None
        if s.word == "":
            if not is_letter[x]: return px, None
            Lm = p[is_letter].sum(); l = letter[x]
            cl = s.cache.prefix.get(chr(97 + l), 0) / s.cache.total
            share = px / max(p[lower_ids[l]].sum(), 1e-30)
            c = s.lam * Lm * cl * share
            q = (1 - s.lam) * px + c
            return q, c / q
        if s.pi <= 0: return px, 0.0
        ps = s.cache.prefix[s.word]
        if is_letter[x]:
            l = letter[x]
            cc = s.cache.prefix.get(s.word + chr(97 + l), 0) / ps
            c = s.pi * cc * px / max(p[lower_ids[l]].sum(), 1e-30)
        else:
            ce = s.cache.end.get(s.word, 0) / ps
            c = s.pi * ce * px / max(p[~is_letter].sum(), 1e-30)
        q = (1 - s.pi) * px + c
        return q, c / q
    def feed(s, x, post):
        ch = chars[x]
        if s.intag:
            if ch == ">": s.intag = False
            return
        if ch == "<":
            s.end_word(); s.intag = True; return
        if is_letter[x]:
            if s.exempt: return
            if s.word == "": s.pi = post if post is not None else 0.0
            else: s.pi = post if post is not None else s.pi
            s.word += chr(97 + letter[x]); return
        s.end_word()
        s.exempt = bool(is_digit[x] or ch == "&")
    def end_word(s):
        if s.word and not s.exempt: s.cache.add(s.word)
        s.word = ""; s.pi = 0.0; s.exempt = False
states = {lam: [RowState(lam) for _ in range(B)] for lam in lambdas}
nll = {lam: 0.0 for lam in lambdas}; n = 0
logits = l0.unsqueeze(0).repeat(B, 1).clone()
logits = stepper.logits[:B].clone()
for t in range(L):
    live = [b for b in range(B) if t < len(ids[b])]
    p_all = torch.softmax(logits.double(), -1).numpy()
    for b in live:
        x = ids[b][t]; p = p_all[b]
        for lam in lambdas:
            st = states[lam][b]
            q, post = st.prob(p, x)
            nll[lam] -= math.log(q)
            st.feed(x, post)
        n += 1
    nxt = torch.tensor([ids[b][t] if t < len(ids[b]) else 0 for b in range(B)], dtype=torch.int32)
    logits = stepper.step(nxt).clone()
    if t % 1000 == 0: print(t, {lam: round(nll[lam] / max(n, 1), 4) for lam in lambdas}, flush=True)
print("chars", n, {lam: round(nll[lam] / n, 4) for lam in lambdas})
