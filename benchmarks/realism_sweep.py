"""The sweep that chose each family's sampling defaults (charlm/sampling/settings.py, FAMILY_DEFAULTS):

    python benchmarks/realism_sweep.py CKPT [-n 200] [--rows 1,5] [--out sweep.jsonl]

For each setting of temperature x truncation x the known-words guard below, samples -n
postings (seeds 1..n, the tag guard on) and prints the realism measure of
`python -m charlm.evaluate --realism` (three discriminators, 5-fold, against as many real val
postings), the copy share, the length percentiles and the frame, one row per setting.
Each row takes about 2-3 minutes on 2 cores for a demo model.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from charlm.evaluate import evaluate  # noqa: E402

SETTINGS = [
    {"temperature": 0.8},
    {"temperature": 0.8, "real_words": False},
    {"temperature": 0.9, "top_p": 0.95},
    {"temperature": 1.0, "top_p": 0.9},
    {"temperature": 0.8, "frame_temperature": 1.0},
    {"temperature": 0.9, "frame_temperature": 1.0},
    {"temperature": 1.0, "frame_temperature": 1.0, "min_p": 0.05},
    {"temperature": 0.9, "frame_temperature": 1.0, "real_words": False},
    {"temperature": 0.85, "frame_temperature": 1.0},
    {"temperature": 0.95, "frame_temperature": 1.0},
]


def row(setting: dict, r: dict) -> str:
    acc = [r["realism"]["generated"][k]["accuracy"] for k in ("char", "word", "doc")]
    q = r["length_quantiles"]
    return (f"| {', '.join(f'{k} {v}' for k, v in setting.items())} | " + " / ".join(f"{a:.2f}" for a in acc)
            + f" | {r['copy_share']:.3f} | {q[0]:,.0f} / {q[2]:,.0f} / {q[4]:,.0f} | {r['coherent_frame']:.0%}"
            f" | {r['well_formed']:.0%} | {r['vocab_words']:.3f} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint")
    p.add_argument("-n", type=int, default=200)
    p.add_argument("--out", help="also append each result as a JSON line here")
    p.add_argument("--rows", default=None, help="which of SETTINGS to run, 1-based, e.g. 1,5,6 (default: all)")
    args = p.parse_args()
    chosen = [SETTINGS[int(i) - 1] for i in args.rows.split(",")] if args.rows else SETTINGS
    print("| settings | char / word / doc | copy share | length p10 / p50 / p90 | coherent | well-formed | known words |")
    print("|---|---|---|---|---|---|---|")
    for setting in chosen:
        r = evaluate(args.checkpoint, None, args.n, dict(setting, seed=1, max_length=12000), skip_compression=True,
                     skip_val=True)
        print(row(setting, r), flush=True)
        if args.out:
            with open(args.out, "a") as fh:
                fh.write(json.dumps({"checkpoint": args.checkpoint, "setting": setting, **r}) + "\n")
    print(f"\nreal val: copy share {r['val_copy_share']:.3f}, length p10 / p50 / p90 "
          + " / ".join(f"{v:,.0f}" for v in r["val_length_quantiles"][::2]) + ", control (char / word / doc) "
          + " / ".join(f"{r['realism']['control'][k]['accuracy']:.2f}" for k in ("char", "word", "doc")))


if __name__ == "__main__":
    main()
