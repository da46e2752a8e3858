"""The classifier: two heads over a posting's body, a job family and a seniority level.

Two approaches are trained and compared (python -m jobclass.train); the one shipped is
TF-IDF word features with a logistic regression per head, the better of the two on
held-out companies (BENCHMARKS.md). Saved with skops, which loads only the scikit-learn
types it is told to trust, so opening a classifier file never runs code.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import skops.io as sio
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from dreamjobs.cli import UserError
from dreamjobs.files import atomic_file

from .dataset import body_text

APPROACHES = ("tfidf-logreg", "tfidf-mlp")
HEADS = ("family", "level")
FORMAT = "dreamjobs-jobclass/1"
DEFAULT_PATH = "checkpoints/demo/jobclass.skops"  # the shipped classifier, from the project root


def make_head(approach: str, seed: int = 0):
    if approach == "tfidf-logreg":
        # Balanced weights, so a family with a tenth of the postings still counts.
        return LogisticRegression(C=10, max_iter=3000, class_weight="balanced")
    if approach == "tfidf-mlp":
        return MLPClassifier(hidden_layer_sizes=(128,), alpha=1e-3, max_iter=60, early_stopping=True,
                             random_state=seed)
    raise UserError(f"unknown approach {approach!r}; choose one of {', '.join(APPROACHES)}")


@dataclass(frozen=True)
class Labels:
    family: str
    family_confidence: float
    level: str
    level_confidence: float

    def public(self) -> dict:
        return {"family": self.family, "family_confidence": round(self.family_confidence, 3),
                "level": self.level, "level_confidence": round(self.level_confidence, 3)}


class JobClassifier:
    """One TF-IDF vocabulary of the bodies' words, and a head per label on it."""

    def __init__(self, features: TfidfVectorizer, heads: dict, approach: str):
        self.features, self.heads, self.approach = features, heads, approach

    @classmethod
    def fit(cls, bodies: list[str], labels: dict[str, list[str]], approach: str = "tfidf-logreg") -> "JobClassifier":
        for head in HEADS:
            if len(set(labels[head])) < 2:
                raise UserError(f"every posting to learn from has the same {head} ({labels[head][0]!r}); "
                                "a classifier needs postings of at least two")
        features = TfidfVectorizer(sublinear_tf=True, min_df=2, max_features=30_000, dtype=np.float32)
        x = features.fit_transform(bodies)
        # Plain ints: skops stores each numpy scalar as a file of its own (30,000 of them).
        features.vocabulary_ = {word: int(i) for word, i in features.vocabulary_.items()}
        return cls(features, {h: make_head(approach).fit(x, labels[h]) for h in HEADS}, approach)

    def predict_bodies(self, bodies: list[str]) -> list[Labels]:
        x = self.features.transform(bodies)
        out = {}
        for head in HEADS:
            proba = self.heads[head].predict_proba(x)
            classes = self.heads[head].classes_
            out[head] = [(classes[p.argmax()], float(p.max())) for p in proba]
        return [Labels(f, fc, lv, lc) for (f, fc), (lv, lc) in zip(out["family"], out["level"])]

    def predict(self, postings: list[str]) -> list[Labels]:
        """Labels of whole postings (corpus format); the frame, title included, is not looked at."""
        return self.predict_bodies([body_text(p) for p in postings])

    def save(self, path: str | Path) -> None:
        with atomic_file(path, "wb") as fh:
            fh.write(sio.dumps({"format": FORMAT, "approach": self.approach, "features": self.features,
                                "heads": self.heads}, compression=zipfile.ZIP_DEFLATED))

    @classmethod
    def load(cls, path: str | Path) -> "JobClassifier":
        path = Path(path)
        if not path.is_file():
            raise UserError(f"classifier {path} not found; train one with python -m jobclass.train")
        data = path.read_bytes()
        try:
            trusted = [t for t in sio.get_untrusted_types(data=data) if t.startswith(("sklearn.", "numpy."))]
            obj = sio.loads(data, trusted=trusted)
        except Exception as exc:  # skops raises many kinds for a damaged or foreign file
            raise UserError(f"{path} is not a readable classifier: {str(exc).splitlines()[0][:200]}") from None
        if not isinstance(obj, dict) or obj.get("format") != FORMAT or not {"features", "heads"} <= obj.keys():
            raise UserError(f"{path} is not a dreamjobs job classifier")
        return cls(obj["features"], obj["heads"], obj["approach"])
