"""Run folders and the checkpoints in them.

    build/runs/<model>-<key>/config.json     the TrainConfig, as trained
                             metrics.csv     one row per epoch
                             last.pt         after every epoch
                             best.pt         the epoch with the best validation top-1
                             interrupted.pt  mid-epoch, after Ctrl-C or a broken frame

A checkpoint holds everything needed to continue exactly: weights, optimiser, scheduler,
scaler, the random generators' states and the position in the epoch. Every file is
written to a temporary name and renamed, so a crash never leaves half of one.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from .atomic import atomic_path
from .config import TrainConfig, differences, make_config
from .errors import CheckpointError, MictError
from .models import get_model, load_checkpoint, model_spec, read_checkpoint

CHECKPOINT_FORMAT = "mict-checkpoint/1"
RUN_FILES = ("config.json", "metrics.csv", "last.pt", "best.pt", "interrupted.pt")


class RunExistsError(MictError, FileExistsError):
    """The output folder holds another run and neither resume nor overwrite was asked for."""


def save_checkpoint(state: dict, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def read_run_config(run_dir: str | Path) -> TrainConfig | None:
    path = Path(run_dir) / "config.json"
    return TrainConfig.from_dict(json.loads(path.read_text())) if path.is_file() else None


def write_run_config(config: TrainConfig, run_dir: Path) -> None:
    with atomic_path(run_dir / "config.json") as tmp:
        tmp.write_text(json.dumps(config.to_dict(), indent=2, default=str) + "\n")


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    """The checkpoint that got furthest: `interrupted.pt` when newer than `last.pt`."""
    best_path, best_position = None, (-1, -1)
    for name in ("last.pt", "interrupted.pt"):
        path = Path(run_dir) / name
        if path.is_file():
            checkpoint = read_checkpoint(path)
            position = (checkpoint["epoch"], checkpoint["step"])
            if position > best_position:
                best_path, best_position = path, position
    return best_path


def is_complete(run_dir: str | Path) -> bool:
    """Whether the run in `run_dir` has trained all its epochs."""
    run_dir = Path(run_dir)
    config = read_run_config(run_dir)
    if config is None or not (run_dir / "last.pt").is_file():
        return False
    return read_checkpoint(run_dir / "last.pt")["epoch"] >= config.epochs


def prepare_run_dir(config: TrainConfig, resume: bool, overwrite: bool) -> Path:
    """Create the run folder, refusing to mix two runs in one folder."""
    run_dir = Path(config.run_dir())
    existing = read_run_config(run_dir)
    if existing is not None:
        if overwrite:
            for name in RUN_FILES:
                (run_dir / name).unlink(missing_ok=True)
        elif resume:
            changed = differences(existing, config)
            if changed:
                raise RunExistsError(
                    f"{run_dir} holds a run with another configuration; cannot resume it with:\n  "
                    + "\n  ".join(changed) + "\nUse another --out, or --overwrite to start again."
                )
        else:
            position = ""
            if (run_dir / "last.pt").is_file():
                position = f", trained {read_checkpoint(run_dir / 'last.pt')['epoch']}/{existing.epochs} epochs"
            raise RunExistsError(
                f"{run_dir} already holds a run ({existing.model}{position}). "
                f"Pass --resume to continue it or --overwrite to start again, or choose another --out."
            )
    elif run_dir.exists() and any(run_dir.iterdir()) and not overwrite:
        raise RunExistsError(f"{run_dir} is not empty and holds no mict run; choose another --out "
                             f"or pass --overwrite")
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


@dataclass
class TrainResult:
    """A finished (or stopped) run: where it is, how it was configured, and how it went."""

    run_dir: Path
    config: TrainConfig
    history: pd.DataFrame
    classes: list[str]
    best_epoch: int | None
    best_val_top1: float | None

    @classmethod
    def from_run_dir(cls, run_dir: str | Path, config: TrainConfig | None = None) -> "TrainResult":
        """The run in `run_dir` as its last checkpoint records it (`config`: the one it was asked by)."""
        run_dir = Path(run_dir)
        checkpoint = read_checkpoint(run_dir / "last.pt")
        config = config or TrainConfig.from_dict(checkpoint["config"])
        return cls(run_dir, config, pd.DataFrame(checkpoint["history"]),
                   list(checkpoint["classes"]), checkpoint["best_epoch"], checkpoint["best_val_top1"])

    @property
    def best_checkpoint(self) -> Path:
        best = self.run_dir / "best.pt"
        return best if best.is_file() else self.run_dir / "last.pt"

    def load_model(self, which: str = "best") -> nn.Module:
        return load_trained_model(self.best_checkpoint if which == "best" else self.run_dir / f"{which}.pt")[0]


def load_trained_model(checkpoint: str | Path, device: str | torch.device = "cpu"
                       ) -> tuple[nn.Module, TrainConfig, list[str]]:
    """A model rebuilt from one of this project's checkpoints (its config says how), in eval mode."""
    meta = read_checkpoint(checkpoint)
    if not isinstance(meta, dict) or "config" not in meta:
        raise CheckpointError(f"{checkpoint} has no training config (an original checkpoint?): build the model "
                              f"with get_model(...) and use load_checkpoint(model, path)")
    config = TrainConfig.from_dict(meta["config"])
    options = {**config.model_options(), "pretrained": False}
    model = get_model(config.model, num_classes=len(meta["classes"]), **options)
    load_checkpoint(model, checkpoint)
    return model.to(device).eval(), config, list(meta["classes"])


def load_any_checkpoint(checkpoint: str | Path, *, model: str = "mict_resnet18", width: int = 64,
                        **architecture) -> tuple[nn.Module, TrainConfig, list[str] | None]:
    """A model from a checkpoint of this project or of the original MiCT-Net-PyTorch, the configuration
    that says how to evaluate it, and its class names (None when the checkpoint does not know them).

    This project's checkpoints describe themselves. The original's hold weights only: `model`,
    `width` and `architecture` (version, temporal_kernel) describe the network, the classifier's
    size is read from the weights, and the full profile's settings (16 frames, 160-pixel crops of
    192-pixel frames, split 1) say how the original tested.
    """
    meta = read_checkpoint(checkpoint)
    if isinstance(meta, dict) and "config" in meta:
        return load_trained_model(checkpoint)
    if not isinstance(meta, dict):
        raise CheckpointError(f"{checkpoint} is not a checkpoint: expected a dict, got {type(meta).__name__}")
    state = meta.get("state_dict", meta)
    classifier = [v for k, v in state.items() if k.endswith("fc.weight") and torch.is_tensor(v)]
    if not classifier:
        raise CheckpointError(f"{checkpoint} holds no classifier weights (fc.weight): is it a video model?")
    options = {k: v for k, v in architecture.items() if k in model_spec(model).options}
    config = make_config("full", model=model, width=width, pretrained=False, **options)
    network = get_model(model, num_classes=classifier[0].shape[0], width=width, **options)
    load_checkpoint(network, checkpoint)
    return network.eval(), config, None
