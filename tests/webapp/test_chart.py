from webapp.checkpoints import RunInfo
from webapp.chart import loss_chart, runs_chart


def run(epochs, steps, name="r", origin=None) -> RunInfo:
    return RunInfo(name, [], [{"epoch": e, "train_loss": v + 0.1, "val_loss": v} for e, v in epochs], steps,
                   origin=origin)


def test_a_fine_tune_continues_its_lineage_on_the_runs_chart_not_as_a_lone_first_epoch():
    # Issue 39 #7: the demo's "epoch 1" sat as a lone dot at the left, under the LSTM's curve.
    h200 = {"type": "origin", "run": "t6x384-h200", "checkpoint": "epoch016_val0.6105.pt", "epoch": 16,
            "val_loss": 0.6105, "keep_layers": [0, 2, 4, 5], "epochs": [[e, 0.6 + 0.4 / e] for e in range(1, 17)],
            "before": None}
    cpu = {"type": "origin", "run": "t4x384-cpu", "checkpoint": "epoch001_val0.6288.pt", "epoch": 1,
           "val_loss": 0.6288, "keep_layers": None, "epochs": [[1, 0.6288]], "before": h200}
    lstm = run([(e, 0.7 + 0.3 / e) for e in range(1, 48)], [], "demo")
    chart = runs_chart([lstm, run([(1, 0.6097)], [], "demo-transformer", cpu)])
    (_, lstm_dots, _, lstm_before), (_, dots, _, before) = chart.lines
    assert not lstm_before and len(before) == 17  # 16 epochs of the H200 run, then the first fine-tune
    x_of = {x: e for e, (x, _) in zip(range(1, 48), lstm_dots)}
    assert x_of[dots[0][0]] == 18  # epoch 1 of this run is the lineage's 18th
    assert [x for x, _ in before] == sorted(x for x, _ in before) and before[-1][0] < dots[0][0]
    assert chart.continues and not runs_chart([lstm, run([(1, 0.9)], [], "b")]).continues


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


def test_the_first_steps_high_loss_does_not_squash_the_epochs_and_the_ticks_are_round():
    # Issue 28 #8: a first step at ln(V) = 3.5 made the axis run 0.57-3.53, epochs 5-48 in a few pixels.
    epochs = [(e, 0.62 + 0.3 / e) for e in range(1, 49)]
    chart = loss_chart(run(epochs, [(0.01, 3.5), (0.5, 1.4)] + [(e + 0.5, 0.7 + 0.3 / e) for e in range(1, 48)]))
    labels = [float(label) for _, label in chart.y_ticks]
    assert labels[-1] <= 1.1 and labels[0] >= 0.5  # the range of the epochs, not of the first step
    steps = {round(b - a, 6) for a, b in zip(labels, labels[1:])}
    assert len(steps) == 1 and steps.pop() in (0.05, 0.1, 0.2, 0.25)
    left, top, right, bottom = chart.box
    first = tuple(map(float, chart.train.split()[0].split(",")))
    assert first[1] == top  # the first step is drawn along the top edge, not off the plot
    ys = [y for _, y, _ in chart.val]
    assert max(ys) - min(ys) > 0.6 * (bottom - top)  # the epochs use most of the height


def test_the_training_page_labels_the_loss_axis(client):
    assert "loss (nats/char)" in client.get("/training").get_data(as_text=True)


def test_a_one_epoch_fine_tune_is_scaled_to_its_steps_not_its_last_point():
    # A run of one epoch has no points past epoch 1 but its last: the range comes from its tenth on.
    steps = [(0.01, 0.95)] + [(i / 100, 0.66 - 0.03 * i / 100 + 0.02 * (i % 2)) for i in range(10, 101)]
    chart = loss_chart(run([(1, 0.6288)], steps))
    left, top, right, bottom = chart.box
    ys = [float(p.split(",")[1]) for p in chart.train.split()[1:]]
    assert max(ys) - min(ys) > 0.5 * (bottom - top)  # the steps use the height, not a strip at the top
    labels = [float(label) for _, label in chart.y_ticks]
    assert labels[0] <= 0.6288 and labels[-1] < 0.95
