"""How real do generated postings read? A discriminator tells them from real ones.

The measure: character 1-4-gram TF-IDF and logistic regression (scikit-learn), tags
stripped so that it reads the words and not the markup, cross-validated over k folds.
Its accuracy is the figure: 0.5 means it cannot tell generated from real, 1.0 that it
always can. The control pits real postings of the train split against real postings of
the val split: what "indistinguishable" measures on this corpus (about 0.5).
"""

from __future__ import annotations

import html
import random
import re
import statistics
from dataclasses import dataclass

FOLDS = 5
TAG = re.compile(r"<[^>]*>")
SPACE = re.compile(r"\s+")


def visible_text(posting: str) -> str:
    """A posting's words: tags out, entities decoded, whitespace collapsed."""
    return SPACE.sub(" ", html.unescape(TAG.sub(" ", posting))).strip()


@dataclass(frozen=True)
class Discrimination:
    accuracy: float  # mean over the folds
    spread: float  # standard deviation over the folds
    auc: float
    n: int  # postings on each side

    def __str__(self) -> str:
        return f"{self.accuracy:.2f} ± {self.spread:.2f} (AUC {self.auc:.2f}, {self.n} against {self.n})"


def discriminate(these: list[str], those: list[str], folds: int = FOLDS, seed: int = 0) -> Discrimination:
    """How well a char n-gram classifier tells `these` from `those`, cross-validated over folds."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from sklearn.pipeline import make_pipeline

    n = min(len(these), len(those))
    if n < folds:
        raise ValueError(f"telling two sets apart over {folds} folds needs at least {folds} postings in each, got {n}")
    texts = [visible_text(t) for t in these[:n] + those[:n]]
    labels = [1] * n + [0] * n
    model = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 4), sublinear_tf=True),
                          LogisticRegression(max_iter=2000))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_validate(model, texts, labels, cv=cv, scoring=("accuracy", "roc_auc"))
    return Discrimination(statistics.fmean(scores["test_accuracy"]), statistics.pstdev(scores["test_accuracy"]),
                          statistics.fmean(scores["test_roc_auc"]), n)


def realism(generated: list[str], real_val: list[str], real_train: list[str], seed: int = 0) -> dict:
    """{"generated": generated against as many real val postings, "control": real train against real val}."""
    rng = random.Random(seed)
    n = len(generated)
    val = rng.sample(real_val, min(n, len(real_val)))
    train = rng.sample(real_train, min(len(val), len(real_train)))
    return {"generated": discriminate(generated, val, seed=seed), "control": discriminate(train, val, seed=seed)}
