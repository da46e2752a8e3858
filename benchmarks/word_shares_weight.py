"""Word shares at another weight than the shipped 1 (BENCHMARKS.md, "Realism"):

    python benchmarks/word_shares_weight.py --weight W CKPT [charlm.evaluate's options]

The run's word shares (word_shares.json.gz, python -m charlm.calibrate) steer each body word by
W times its log ratio of the corpus's rate to the model's, where the sampler uses the ratio
itself (W 1); W 0 is no steering. Then charlm.evaluate runs as given (e.g. --realism --length
12000 --json).
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from charlm import evaluate  # noqa: E402
from charlm.sampling.word_shares import WordShares  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weight", type=float, required=True)
    args, rest = p.parse_known_args()
    node_odds = WordShares.node_odds

    def weighed(self, trie):
        below, at_end = node_odds(self, trie)
        return below * args.weight, at_end * args.weight

    WordShares.node_odds = weighed
    return evaluate.main(rest)


if __name__ == "__main__":
    sys.exit(main())
