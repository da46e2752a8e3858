"""Geometry of a run's loss chart, drawn as inline SVG by templates/loss_chart.html."""

from __future__ import annotations

import math
from dataclasses import dataclass

from charlm import epochs_before, lineage

from .checkpoints import RunInfo

W, H = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 60, 12, 12, 32


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


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick spacing (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` ticks over span."""
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def loss_range(train: list[tuple[float, float]], val: list[tuple[float, float]]) -> tuple[float, float]:
    """The y range: the losses from the end of the first epoch on (from the first tenth of a run
    of one epoch, a fine-tune's say), where a run spends its time. The first steps' loss (about
    ln V, several times the rest) would squash every later epoch into a few pixels; those points
    are drawn along the top edge instead."""
    points = train + val
    end = max((x for x, _ in points), default=0.0)
    start = 1.0 if end > 1 else end / 10
    later = [y for x, y in points if x >= start] or [y for _, y in points]
    lo, hi = min(later), max(later)
    if hi - lo < 1e-6:
        lo, hi = lo - 0.5, hi + 0.5
    step = nice_step(hi - lo)
    return max(0.0, math.floor(lo / step) * step), math.ceil(hi / step) * step


def loss_chart(run: RunInfo) -> Chart | None:
    train = [(x, y) for x, y in run.steps]
    val = [(e["epoch"], e["val_loss"]) for e in run.epochs]
    points = train + val
    if not points:
        return None
    x_max = max(1.0, max(x for x, _ in points))
    y_lo, y_hi = loss_range(train, val)
    step = nice_step(y_hi - y_lo)

    def sx(x: float) -> float:
        return round(LEFT + (W - LEFT - RIGHT) * x / x_max, 1)

    def sy(y: float) -> float:
        y = min(max(y, y_lo), y_hi)  # clipped to the plot: the first steps' high loss runs along the top
        return round(TOP + (H - TOP - BOTTOM) * (1 - (y - y_lo) / (y_hi - y_lo)), 1)

    x_step = max(1, round(x_max / 8))
    x_ticks = [(sx(e), str(e)) for e in range(0, int(x_max) + 1, x_step)]
    n_ticks = round((y_hi - y_lo) / step)
    y_ticks = [(sy(y_lo + step * i), f"{y_lo + step * i:.{decimals(step)}f}") for i in range(n_ticks + 1)]
    return Chart(W, H, " ".join(f"{sx(x)},{sy(y)}" for x, y in train),
                 [(sx(x), sy(y), f"epoch {x}: val {y:.4f}") for x, y in val],
                 " ".join(f"{sx(x)},{sy(y)}" for x, y in val), x_ticks, y_ticks, (LEFT, TOP, W - RIGHT, H - BOTTOM))


COLORS = ("#e67e22", "#2f6fdb", "#27ae60", "#8e44ad", "#c0392b", "#16a085")


@dataclass
class RunsChart:
    """Every run's val loss by epoch on one chart. A line: (name, its epochs' (x, y) in the plot,
    color, the (x, y) of the runs it was fine-tuned from, drawn dashed up to its first epoch)."""
    width: int
    height: int
    lines: list[tuple[str, list[tuple[float, float]], str, list[tuple[float, float]]]]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    box: tuple[int, int, int, int]

    @property
    def continues(self) -> bool:
        """Whether a run on it continues others (a fine-tune), so the caption says what dashes are."""
        return any(before for *_, before in self.lines)


def runs_chart(runs: list[RunInfo]) -> RunsChart | None:
    """The runs' val curves side by side (two families' runs, say); None for fewer than two runs with
    epochs. A fine-tune's epochs are counted from its lineage's start, after the runs it continues,
    so its "epoch 1" sits where its training did, not as a lone dot at the chart's left."""
    runs = [r for r in runs if r.epochs]
    if len(runs) < 2:
        return None
    curves = [([(epochs_before(r.origin) + e["epoch"], e["val_loss"]) for e in r.epochs], lineage(r.origin))
              for r in runs]
    val = [point for own, before in curves for point in own + before]
    x_max = max(1.0, max(x for x, _ in val))
    y_lo, y_hi = loss_range([], val)
    step = nice_step(y_hi - y_lo)

    def point(x: float, y: float) -> tuple[float, float]:
        y = min(max(y, y_lo), y_hi)  # a lineage's first epochs may sit far above: along the top edge
        return (round(LEFT + (W - LEFT - RIGHT) * x / x_max, 1),
                round(TOP + (H - TOP - BOTTOM) * (1 - (y - y_lo) / (y_hi - y_lo)), 1))

    lines = [(f"{r.name}" + (f" · {r.family}" if r.family else ""), [point(*p) for p in own], COLORS[i % len(COLORS)],
              [point(*p) for p in before])
             for i, (r, (own, before)) in enumerate(zip(runs, curves))]
    x_step = max(1, round(x_max / 8))
    x_ticks = [(point(e, y_lo)[0], str(e)) for e in range(0, int(x_max) + 1, x_step)]
    y_ticks = [(point(0, y_lo + step * i)[1], f"{y_lo + step * i:.{decimals(step)}f}")
               for i in range(round((y_hi - y_lo) / step) + 1)]
    return RunsChart(W, H, lines, x_ticks, y_ticks, (LEFT, TOP, W - RIGHT, H - BOTTOM))


def decimals(step: float) -> int:
    """Digits after the point that tell ticks `step` apart: 0.25 -> 2, 0.1 -> 1, 5 -> 0."""
    return next(d for d in range(6) if abs(round(step, d) - step) < 1e-9)
