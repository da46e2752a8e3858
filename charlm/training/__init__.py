"""Training: `python -m charlm.train` runs a Trainer on a TrainConfig.

    config.py       TrainConfig, each family's recipe and the learning-rate schedule
    trainer.py      Trainer: epochs, val checks, checkpoints, time budget and Ctrl-C
    objective.py    one optimizer step (TrainStep) and the optimizer
    row_split.py    a CPU step with its batch's rows split across threads
    distributed.py  torchrun: ranks, gradient averaging and agreement on when to stop
    speed.py        characters per second of the training step (charlm.bench)
"""
