"""Prints a digest of each checkpoint's postings for many seeds at each precision: run by
test_native.py once per instruction-set level ($DREAMJOBS_MARCH), which compares them.
Usage: isa_texts.py SEEDS LENGTH CHECKPOINT [CHECKPOINT ...]"""

import hashlib
import json
import sys

from charlm import Generator
from charlm.sampling import native
from charlm.sampling.steppers import PRECISIONS

seeds, length, checkpoints = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
digests = {}
for checkpoint in checkpoints:
    for precision in PRECISIONS:
        gen = Generator.from_checkpoint(checkpoint, precision=precision)
        assert gen.backend == "native", checkpoint
        texts = gen.generate(seeds, temperature=0.8, seed=0, max_length=length)
        texts.append(gen.sample(temperature=1.0, seed=99, max_length=length, title="Dream Data Scientist"))
        texts.append(gen.sample(temperature=1.2, seed=7, max_length=length, top_p=0.9, min_p=0.02))
        digests[f"{checkpoint} {precision}"] = [hashlib.sha256(t.encode()).hexdigest()[:16] for t in texts]
print(json.dumps({"library": str(native._build()), "digests": digests}))
