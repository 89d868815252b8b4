"""The optimiser and the learning-rate schedule of a training configuration."""

import torch
from torch import nn
from torch.optim import lr_scheduler

from .config import TrainConfig


def build_optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    return torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)


def build_scheduler(config: TrainConfig, optimizer: torch.optim.Optimizer, steps_per_epoch: int):
    """A per-iteration schedule; epochs in the config are converted to iterations."""
    total = config.epochs * steps_per_epoch
    warmup = round(config.warmup_epochs * steps_per_epoch)
    if config.schedule == "onecycle":
        return lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total,
                                       pct_start=max(0.05, min(0.5, warmup / total if warmup else 0.25)))
    main = {
        "step": lambda: lr_scheduler.StepLR(optimizer, step_size=config.lr_steps[0] * steps_per_epoch,
                                            gamma=config.lr_gamma),
        "multistep": lambda: lr_scheduler.MultiStepLR(
            optimizer, [m * steps_per_epoch - warmup for m in config.lr_steps], gamma=config.lr_gamma),
        "poly": lambda: lr_scheduler.PolynomialLR(optimizer, total_iters=total - warmup, power=0.9),
        "cosine": lambda: lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warmup),
        "constant": lambda: lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0),
    }[config.schedule]()
    if not warmup:
        return main
    ramp = lr_scheduler.LinearLR(optimizer, start_factor=0.01, total_iters=warmup)
    return lr_scheduler.SequentialLR(optimizer, [ramp, main], milestones=[warmup])
