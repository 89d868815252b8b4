"""The learning rate a configuration's schedule gives at every optimisation step, to draw beside the
learning curves (the same `build_scheduler` that trains)."""

import pandas as pd
import torch

from mict.config import TrainConfig
from mict.optim import build_optimizer, build_scheduler


def learning_rate_schedule(config: TrainConfig, steps_per_epoch: int) -> pd.DataFrame:
    """One row per step: the epochs done once the step is taken (the x of the learning curves, whose epoch
    e is the end of the e-th pass) and the learning rate the step uses."""
    optimizer = build_optimizer(config, torch.nn.Linear(1, 1))
    scheduler = build_scheduler(config, optimizer, steps_per_epoch)
    rows = []
    for step in range(config.epochs * steps_per_epoch):
        rows.append({"epoch": (step + 1) / steps_per_epoch, "lr": optimizer.param_groups[0]["lr"]})
        optimizer.step()
        scheduler.step()
    return pd.DataFrame(rows)


def warmup_epochs(schedule: pd.DataFrame) -> float:
    """The epoch at which the learning rate peaks: the end of the warm-up."""
    return float(schedule.loc[schedule["lr"].idxmax(), "epoch"])
