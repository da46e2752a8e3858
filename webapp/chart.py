"""Geometry of a run's loss chart, drawn as inline SVG by templates/loss_chart.html."""

from __future__ import annotations

from dataclasses import dataclass

from .checkpoints import RunInfo

W, H = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 32


@dataclass
class Chart:
    width: int
    height: int
    train: str                    # "x,y x,y ..." for a polyline
    val: list[tuple[float, float, str]]
    val_line: str
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    box: tuple[int, int, int, int]


def loss_chart(run: RunInfo) -> Chart | None:
    train = [(x, y) for x, y in run.steps]
    val = [(e["epoch"], e["val_loss"]) for e in run.epochs]
    points = train + val
    if not points:
        return None
    x_max = max(1.0, max(x for x, _ in points))
    ys = [y for _, y in points]
    y_lo, y_hi = min(ys), max(ys)
    if y_hi - y_lo < 1e-6:
        y_lo, y_hi = y_lo - 0.5, y_hi + 0.5
    pad = (y_hi - y_lo) * 0.05
    y_lo, y_hi = max(0.0, y_lo - pad), y_hi + pad

    def sx(x: float) -> float:
        return round(LEFT + (W - LEFT - RIGHT) * x / x_max, 1)

    def sy(y: float) -> float:
        return round(TOP + (H - TOP - BOTTOM) * (1 - (y - y_lo) / (y_hi - y_lo)), 1)

    step = max(1, round(x_max / 8))
    x_ticks = [(sx(e), str(e)) for e in range(0, int(x_max) + 1, step)]
    y_ticks = [(sy(y_lo + (y_hi - y_lo) * i / 4), f"{y_lo + (y_hi - y_lo) * i / 4:.2f}") for i in range(5)]
    return Chart(W, H, " ".join(f"{sx(x)},{sy(y)}" for x, y in train),
                 [(sx(x), sy(y), f"epoch {x}: val {y:.4f}") for x, y in val],
                 " ".join(f"{sx(x)},{sy(y)}" for x, y in val), x_ticks, y_ticks, (LEFT, TOP, W - RIGHT, H - BOTTOM))
