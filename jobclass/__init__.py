"""jobclass: what job a posting is, from its body: a job family and a seniority level.

    python -m jobclass.train            # learn from corpus/, compare approaches, save
    python -m jobclass.predict FILE...  # label postings (--agreement: how many read as their title)

    from jobclass import JobClassifier, agreement
    clf = JobClassifier.load("checkpoints/demo/jobclass.skops")
    labels = clf.predict([posting])[0]      # Labels(family, family_confidence, level, level_confidence)

labels.py maps titles to labels (the training targets), dataset.py reads the corpus,
model.py holds the classifier. The gallery and jobclass.predict use it to say what a
generated posting is, and whether its body reads like the title it carries.
"""

from dreamjobs.corpus_format import frame_fields

from .labels import FAMILIES, LEVELS, family_of, level_of
from .model import DEFAULT_PATH, JobClassifier, Labels


def agreement(posting: str, labels: Labels) -> bool | None:
    """Whether the family read from the body is the family the posting's own title maps to;
    None for a posting without a title."""
    fields = frame_fields(posting)
    return None if fields is None else family_of(fields[0]) == labels.family


__all__ = ["DEFAULT_PATH", "FAMILIES", "LEVELS", "JobClassifier", "Labels", "agreement", "family_of", "level_of"]
