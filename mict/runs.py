"""The run cache: a configuration's trained run, reused when it is already there.

A run's folder is named by its configuration's key, which includes the version of the
training code (`TrainConfig.key`), so a finished run of exactly this configuration and
this code is reused, an unfinished one is resumed, and anything else trains anew.
"""

import shutil
from pathlib import Path

from .checkpoints import TrainResult, is_complete, read_run_config
from .config import TrainConfig, differences
from .errors import MictError
from .train import train


class RunNotTrainedError(MictError, LookupError):
    """A cached run was asked for, and it has not been trained (or not to the end)."""


def train_or_load(config: TrainConfig, *, retrain: bool = False, train_missing: bool = True,
                  progress: bool | None = None) -> TrainResult:
    """The finished run of `config`: reused, resumed, or trained now.

    `retrain` deletes a cached run first. With `train_missing=False` nothing is trained: a run
    that is not complete raises RunNotTrainedError.
    """
    run_dir = Path(config.run_dir())
    if retrain and run_dir.exists():
        shutil.rmtree(run_dir)
    previous = read_run_config(run_dir)
    if is_complete(run_dir) and not differences(previous, config):
        print(f"reusing the finished run {run_dir}")
        return TrainResult.from_run_dir(run_dir, config)
    if not train_missing:
        raise RunNotTrainedError(f"{run_dir} ({config.model}) is not trained yet, and this call may not train it")
    return train(config, resume=previous is not None, progress=progress)
