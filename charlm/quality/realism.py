"""How real do generated postings read? Three discriminators try to tell them from real ones.

Each is cross-validated over k folds on as many generated as real val postings; its
accuracy is the figure: 0.5 means it cannot tell them apart, 1.0 that it always can.

    char   character 1-4-gram TF-IDF and logistic regression, on the visible text: style, spelling
    word   word 1-2-gram TF-IDF and logistic regression, on the visible text: topics, companies, phrases
    doc    five document features and a random forest (document_features): form and length

The control pits real postings of the train split against real val postings: what
"indistinguishable" measures on this corpus (about 0.5). tells() names the features that
give generated postings away most; copy_share (copies.py) shows realism bought by stitching
corpus fragments together.
"""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter
from dataclasses import dataclass

import numpy as np

from dreamjobs.corpus_format import visible_text, words

FOLDS = 5
DISCRIMINATORS = ("char", "word", "doc")
DOC_FEATURES = ("known words", "type/token ratio", "words per sentence", "repeated lines", "length")
SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")


@dataclass(frozen=True)
class Discrimination:
    accuracy: float  # mean over the folds
    spread: float  # standard deviation over the folds
    auc: float
    n: int  # postings on each side

    def __str__(self) -> str:
        return f"{self.accuracy:.2f} ± {self.spread:.2f} (AUC {self.auc:.2f}, {self.n} against {self.n})"


def document_features(posting: str, known: frozenset[str]) -> list[float]:
    """DOC_FEATURES of one posting: the share of its words the train split uses, distinct words
    over words, words per sentence, the share of its lines that repeat another, its length."""
    ws = words(posting)
    sentences = [s for s in SENTENCE_END.split(visible_text(posting)) if s.strip()]
    lines = [line.strip() for line in posting.splitlines() if line.strip()]
    return [sum(w in known for w in ws) / len(ws) if ws else 0.0,
            len(set(ws)) / len(ws) if ws else 0.0,
            len(ws) / max(1, len(sentences)),
            1 - len(set(lines)) / len(lines) if lines else 0.0,
            float(len(posting))]


def _model(kind: str, seed: int):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    if kind == "doc":
        return RandomForestClassifier(n_estimators=200, min_samples_leaf=2, random_state=seed, n_jobs=1)
    vectorizer = (TfidfVectorizer(analyzer="char", ngram_range=(1, 4), sublinear_tf=True, min_df=2) if kind == "char"
                  else TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=2))
    return make_pipeline(vectorizer, LogisticRegression(C=10.0, max_iter=3000))


def _inputs(kind: str, postings: list[str], known: frozenset[str]):
    if kind == "doc":
        return np.array([document_features(p, known) for p in postings])
    return [visible_text(p) for p in postings]


def discriminate(these: list[str], those: list[str], kind: str = "char", known: frozenset[str] = frozenset(),
                 folds: int = FOLDS, seed: int = 0) -> Discrimination:
    """How well the `kind` discriminator tells `these` from `those`, cross-validated over folds."""
    from sklearn.model_selection import StratifiedKFold, cross_validate

    n = min(len(these), len(those))
    if n < folds:
        raise ValueError(f"telling two sets apart over {folds} folds needs at least {folds} postings in each, got {n}")
    labels = [1] * n + [0] * n
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_validate(_model(kind, seed), _inputs(kind, these[:n] + those[:n], known), labels, cv=cv,
                            scoring=("accuracy", "roc_auc"))
    return Discrimination(statistics.fmean(scores["test_accuracy"]), statistics.pstdev(scores["test_accuracy"]),
                          statistics.fmean(scores["test_roc_auc"]), n)


def tells(generated: list[str], real: list[str], top: int = 10) -> list[dict]:
    """The `top` n-grams that most give generated postings away: those the word and character
    logistic regressions (fitted on all postings) weigh most, by weight times the feature's
    spread, with the share of postings on each side that hold them. Positive: generated."""
    n = min(len(generated), len(real))
    labels = [1] * n + [0] * n
    texts = [visible_text(p) for p in generated[:n] + real[:n]]
    found = []
    for kind in ("word", "char"):
        model = _model(kind, 0).fit(texts, labels)
        vectorizer, classifier = model[0], model[-1]
        x = vectorizer.transform(texts)
        weight = classifier.coef_[0] * np.sqrt(np.asarray(x.multiply(x).mean(axis=0))).ravel()
        names = vectorizer.get_feature_names_out()
        for j in np.argsort(-np.abs(weight))[:top]:
            column = (x[:, j] > 0).toarray().ravel()
            found.append({"kind": kind, "feature": str(names[j]), "weight": float(weight[j]),
                          "generated": float(column[:n].mean()), "real": float(column[n:].mean())})
    return sorted(found, key=lambda f: -abs(f["weight"]))[:top]


def share_gaps(generated: list[str], real: list[str], top: int = 10) -> list[dict]:
    """The `top` words and word pairs whose share of postings differs most between the two sides,
    each side's share given. Where the tells above are what a classifier leans on, these are what
    a reader misses or meets too often: a requirement ("years of") or a closing statement
    ("veteran status") that real postings have and generated ones lack."""
    def shares(postings: list[str]) -> dict[str, float]:
        found: Counter = Counter()
        for p in postings:
            ws = words(p)
            found.update(set(ws) | {" ".join(pair) for pair in zip(ws, ws[1:])})
        return {g: c / max(1, len(postings)) for g, c in found.items()}

    g, r = shares(generated), shares(real)
    gaps = sorted(set(g) | set(r), key=lambda k: (-abs(g.get(k, 0.0) - r.get(k, 0.0)), k))[:top]
    return [{"feature": k, "generated": g.get(k, 0.0), "real": r.get(k, 0.0)} for k in gaps]


def feature_medians(generated: list[str], real: list[str], known: frozenset[str]) -> list[dict]:
    """Each document feature's median on both sides, and how much the forest leans on it."""
    n = min(len(generated), len(real))
    features = _inputs("doc", generated[:n] + real[:n], known)
    forest = _model("doc", 0).fit(features, [1] * n + [0] * n)
    return [{"feature": name, "importance": float(forest.feature_importances_[j]),
             "generated": float(np.median(features[:n, j])), "real": float(np.median(features[n:, j]))}
            for j, name in enumerate(DOC_FEATURES)]


def held_out_vocabulary(real_train: list[str], control: list[str]) -> frozenset[str]:
    """The words of the train postings outside the control's sample: the "known words" of the
    document features. Built from the control's own postings, it would know every word of theirs
    and tell them from val postings by that alone."""
    held = set(map(id, control))
    return frozenset(w for p in real_train if id(p) not in held for w in words(p))


def realism(generated: list[str], real_val: list[str], real_train: list[str], seed: int = 0) -> dict:
    """{"generated": {kind: Discrimination}, "control": {kind: Discrimination}, "known": vocabulary}:
    generated against as many real val postings, and as many real train postings against the same
    val ones; the known words are those of the train postings the control does not use."""
    rng = random.Random(seed)
    val = rng.sample(real_val, min(len(generated), len(real_val)))
    train = rng.sample(real_train, min(len(val), len(real_train)))
    known = held_out_vocabulary(real_train, train)
    found = {side: {kind: discriminate(these, val, kind, known, seed=seed) for kind in DISCRIMINATORS}
             for side, these in (("generated", generated), ("control", train))}
    return {**found, "known": known}
