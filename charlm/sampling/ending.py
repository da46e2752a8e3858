"""Where a posting ends: steered to its corpus's lengths by the odds of closing its body.

Sampled below temperature 1 a model ends its postings at lengths of its own: the transformer demo,
left alone, writes a tenth of them under 1,400 characters, where a tenth of the corpus's are under
2,300. A length drawn per posting, with a floor before it and a wrap-up after, matches the corpus's
lengths but not the postings to them: one that has said all it had to say by 2,000 characters,
its equal-opportunity statement last, is made to write on past its end and starts over ("About
Us"); one drawn short is hurried out of its lists. Half of the postings are drawn longer than they
would run.

So a calibrated run (python -m charlm.calibrate) steers the end itself instead, as survival analysis
compares two populations: by length, the corpus's hazard of ending (of the postings as long, the
share that end within the next END_BIN characters) over the model's own, counted on postings it ended
where it chose. At the body's level each "/" after a "<", the choice to close the body, has its odds
multiplied by that ratio for the length the posting has reached: short postings close less often,
long ones more, and each still ends where the model closes it, after its last section.
"""

from __future__ import annotations

import math

import numpy as np

from .word_shares import on_steps

END_BIN = 250  # characters per step of the ratio
# Each step's model counts are shrunk towards the corpus's hazard by PRIOR ends' worth of postings at
# that hazard: a step where the corpus's hazard is small needs many postings at risk to say anything.
PRIOR, FLOOR = 2.0, 1e-3
CLIP = math.log(20)  # no step moves the odds of closing more than 20-fold either way


def corpus_hazards(percentiles: tuple[float, ...], bins: int) -> np.ndarray:
    """Per step of END_BIN characters, the share of the corpus's postings as long that end within it,
    from the 101 percentiles of their lengths (profile.py)."""
    edges = np.arange(bins + 1) * END_BIN
    survive = 1.0 - np.interp(edges, percentiles, np.linspace(0.0, 1.0, len(percentiles)))
    at_risk = np.maximum(survive[:-1], 1e-9)
    return np.clip((survive[:-1] - survive[1:]) / at_risk, 0.0, 1.0)


def ending_odds(percentiles: tuple[float, ...], rounds: list[tuple[int, ...]], max_length: int) -> np.ndarray:
    """Per step of END_BIN characters up to max_length, the log of the corpus's hazard of ending over the
    model's, from the lengths of each round of its postings (those that ran to max_length counted as not
    ended; a round after the first sampled with the ones before it steering), each step's counts shrunk
    towards the corpus's hazard; each round's clipped, their sum too."""
    bins = -(-max_length // END_BIN)
    real = corpus_hazards(percentiles, bins)
    total = np.zeros(bins)
    for lengths in rounds:
        step = np.minimum(np.asarray(lengths, dtype=np.int64) // END_BIN, bins)
        ended = np.asarray(lengths) < max_length
        ends = np.bincount(step[ended], minlength=bins + 1)[:bins]
        at_risk = np.array([(step >= b).sum() for b in range(bins)])
        weight = PRIOR / np.maximum(real, FLOOR)  # postings at risk at the corpus's hazard
        model = (ends + weight * real) / (at_risk + weight)
        total += np.clip(np.log(np.maximum(real, 1e-6) / np.maximum(model, 1e-6)), -CLIP, CLIP)
    return on_steps(np.clip(total, -CLIP, CLIP))
