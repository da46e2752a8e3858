"""Word shares with other choices than the shipped ones (BENCHMARKS.md, "Realism"):

    python benchmarks/word_shares_trial.py [--weight W] [--most-up R] [--counted-at T] CKPT [charlm.evaluate's options]

--weight W      each body word steered by W times its log ratios (shipped: 1, the ratios themselves)
--most-up R     no word's odds raised more than e^R-fold, first used or repeated (shipped: log 4; 0 steers words down only)
--counted-at T  count the model's own words at temperature T first (200 postings from seed 10,001,
                as python -m charlm.calibrate does at the defaults), in place of the run's file
Then charlm.evaluate runs as given (e.g. --realism --length 12000 --temperature T).
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from charlm import calibrate, evaluate  # noqa: E402
from charlm.sampling import generator  # noqa: E402
from charlm.sampling.word_shares import CLIP, WordShares  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weight", type=float, default=1.0)
    p.add_argument("--most-up", type=float, default=CLIP)
    p.add_argument("--counted-at", type=float)
    args, rest = p.parse_known_args()
    log_ratios = WordShares.log_ratios
    WordShares.log_ratios = lambda self: tuple({w: args.weight * min(args.most_up, r) for w, r in ratios.items()}
                                               for ratios in log_ratios(self))
    if args.counted_at is not None:
        settings = generator.Generator.settings
        generator.Generator.settings = lambda self, **given: settings(self, **{"temperature": args.counted_at, **given})
        counted = calibrate.calibrate(rest[0])
        generator.Generator.settings = settings
        generator.load_word_shares = lambda path: counted
    return evaluate.main(rest)


if __name__ == "__main__":
    sys.exit(main())
