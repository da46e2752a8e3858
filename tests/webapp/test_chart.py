from webapp.checkpoints import RunInfo
from webapp.chart import loss_chart


def run(epochs, steps) -> RunInfo:
    return RunInfo("r", [], [{"epoch": e, "train_loss": v + 0.1, "val_loss": v} for e, v in epochs], steps)


def test_a_run_without_points_has_no_chart():
    assert loss_chart(run([], [])) is None


def test_points_land_inside_the_plot_box_with_lower_loss_drawn_lower():
    chart = loss_chart(run([(1, 2.0), (2, 1.5), (3, 1.0)], [(0.5, 3.0), (1.5, 1.8), (2.5, 1.2)]))
    left, top, right, bottom = chart.box
    train = [tuple(map(float, p.split(","))) for p in chart.train.split()]
    assert len(train) == 3 and len(chart.val) == 3
    for x, y in train + [(x, y) for x, y, _ in chart.val]:
        assert left <= x <= right and top <= y <= bottom
    ys = [y for _, y, _ in chart.val]
    assert ys[0] < ys[1] < ys[2]  # SVG's y grows downwards: the falling loss is drawn lower and lower
    assert chart.val[2][2] == "epoch 3: val 1.0000"
    assert [label for _, label in chart.x_ticks][:2] == ["0", "1"]


def test_a_flat_loss_still_gets_a_visible_range():
    chart = loss_chart(run([(1, 1.0), (2, 1.0)], []))
    labels = [float(label) for _, label in chart.y_ticks]
    assert labels[0] < 1.0 < labels[-1]
