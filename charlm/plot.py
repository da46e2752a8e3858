"""Draw a run's training and validation loss: `python -m charlm.plot RUN_DIR`."""

from __future__ import annotations

import argparse
from pathlib import Path

from dreamjobs.cli import run_cli
from dreamjobs.files import atomic_file

from .errors import CharLMError
from .runs import METRICS, read_metrics


def plot_run(run_dir: str | Path, out: str | Path | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    if not (Path(run_dir) / METRICS).is_file():
        raise CharLMError(f"{Path(run_dir) / METRICS} not found; is {run_dir} a run folder written by "
                          "python -m charlm.train?")
    rows = read_metrics(run_dir)
    train = [(r["progress"], r["loss"]) for r in rows if r.get("type") == "train" and {"progress", "loss"} <= r.keys()]
    val = [(r["progress"], r["loss"]) for r in rows if r.get("type") == "val" and {"progress", "loss"} <= r.keys()]
    if not train:
        raise CharLMError(f"{run_dir} has no training steps logged yet")
    out = Path(out) if out else Path(run_dir) / "loss.png"

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    ax.plot(*zip(*train), label="train loss", color="tab:blue", linewidth=1)
    if val:
        ax.plot(*zip(*val), label="validation loss", color="tab:orange", marker="o", markersize=3)
    ax.set_title(f"Training Loss: {Path(run_dir).name}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (nats per character)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_file(out, "wb") as fh:
        fig.savefig(fh, format="png")
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m charlm.plot",
                                description="Write a PNG of a run's train and validation loss curves.")
    p.add_argument("run_dir", help="a run folder, e.g. checkpoints/<run>")
    p.add_argument("-o", "--output", help="PNG path (default RUN_DIR/loss.png)")
    args = p.parse_args(argv)
    print(plot_run(args.run_dir, args.output))
    return 0


if __name__ == "__main__":
    run_cli(main)
