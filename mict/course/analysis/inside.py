"""Looking inside a trained MiCT-ResNet: what its 3D branches add, and what it responds to.

Every measurement runs the trained model on the test split's 16-frame centre clips (as the
test does), changing one thing at a time: a tube's 3D branch switched off, or the order of
the frames. Switching a branch off is `use_3d = False` on the tube: the 2D branch and
everything after it are untouched, so the accuracy lost is what that branch contributes.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from mict.data import ClipDataset
from mict.models import MiCTResNet

from .trace import tube_branches


@dataclass
class SplitClips:
    """The test split's clips, loaded once: N×C×T×H×W floats, their labels and the class names."""

    clips: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    videos: list[str]

    @classmethod
    def load(cls, root, *, split: int = 1, frames: int = 16, crop_size: int = 48, base_size: int = 54) -> "SplitClips":
        dataset = ClipDataset(root, split=split, subset="test", frames=frames, crop_size=crop_size,
                              base_size=base_size, augment=False)
        clips = torch.stack([dataset[i][0] for i in range(len(dataset))])
        return cls(clips, torch.tensor(dataset.labels), dataset.classes, list(dataset.videos["video"]))


@contextmanager
def branches_switched_off(model: MiCTResNet, tubes: Iterable[str]) -> Iterator[MiCTResNet]:
    """`model` with the 3D branches of `tubes` ('stem', 'layer1', …) switched off, then as it was."""
    chosen = [model.tubes()[name] for name in tubes]
    before = [tube.use_3d for tube in chosen]
    try:
        for tube in chosen:
            tube.use_3d = False
        yield model
    finally:
        for tube, state in zip(chosen, before, strict=True):
            tube.use_3d = state


@torch.no_grad()
def predict(model: nn.Module, clips: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
    """Softmax probabilities of each clip, in eval mode."""
    model.eval()
    return torch.cat([model(clips[i : i + batch_size]).softmax(dim=1) for i in range(0, len(clips), batch_size)])


def top1(probabilities: torch.Tensor, labels: torch.Tensor) -> float:
    return 100.0 * float((probabilities.argmax(dim=1) == labels).float().mean())


def accuracy_without_3d_branches(model: MiCTResNet, test: SplitClips) -> pd.DataFrame:
    """Test top-1 with every 3D branch, without each tube's alone, and without all of them."""
    variants = {"every 3D branch": [], **{f"without {name}'s": [name] for name in model.tubes()},
                "without any 3D branch": list(model.tubes())}
    rows = []
    for label, tubes in variants.items():
        with branches_switched_off(model, tubes):
            rows.append({"model": label, "tubes switched off": len(tubes), "top1": top1(predict(model, test.clips),
                                                                                      test.labels)})
    table = pd.DataFrame(rows)
    table["points lost"] = table["top1"].iloc[0] - table["top1"]
    return table


@torch.no_grad()
def branch_norms(model: MiCTResNet, clips: torch.Tensor) -> pd.DataFrame:
    """Per tube: the root-mean-square of its 3D and of its 2D branch's output on `clips`, and their ratio.

    Each tube sees the input the trained network gives it (recorded with a forward pre-hook)."""
    model.eval()
    inputs = {}
    handles = [tube.register_forward_pre_hook(lambda module, args, name=name: inputs.setdefault(name, args[0]))
               for name, tube in model.tubes().items()]
    try:
        model(clips)
    finally:
        for handle in handles:
            handle.remove()
    rows = []
    for name, tube in model.tubes().items():
        branches = tube_branches(tube, inputs[name])
        rms = {branch: float(branches[branch].pow(2).mean().sqrt()) for branch in ("3D", "2D")}
        rows.append({"tube": name, "3D branch RMS": rms["3D"], "2D branch RMS": rms["2D"],
                     "3D / 2D": rms["3D"] / rms["2D"]})
    return pd.DataFrame(rows)


def first_kernels(model: MiCTResNet) -> torch.Tensor:
    """The stem's learned 3D kernels as out_channels×k×7×7×3 (time, height, width, RGB), to look at."""
    return model.stem.conv3d.weight.detach().permute(0, 2, 3, 4, 1).clone()


def reorder(clips: torch.Tensor, order: str, seed: int = 0) -> torch.Tensor:
    """The clips with their frames 'as recorded', 'reversed', or 'shuffled' (one permutation per clip)."""
    if order == "as recorded":
        return clips
    if order == "reversed":
        return clips.flip(2)
    if order == "shuffled":
        generator = torch.Generator().manual_seed(seed)
        permutations = [torch.randperm(clips.shape[2], generator=generator) for _ in range(len(clips))]
        return torch.stack([clip[:, p] for clip, p in zip(clips, permutations, strict=True)])
    raise ValueError(f"order must be 'as recorded', 'reversed' or 'shuffled', got {order!r}")


def accuracy_by_frame_order(model: nn.Module, test: SplitClips, seed: int = 0) -> pd.DataFrame:
    """Per class: top-1 with the frames as recorded, reversed and shuffled (long format: class, order, top1)."""
    rows = []
    for order in ("as recorded", "reversed", "shuffled"):
        predicted = predict(model, reorder(test.clips, order, seed)).argmax(dim=1)
        for label, name in enumerate(test.classes):
            mine = test.labels == label
            rows.append({"class": name, "order": order,
                         "top1": 100.0 * float((predicted[mine] == label).float().mean())})
    return pd.DataFrame(rows)


def most_confused(confusion: pd.DataFrame, count: int = 5) -> pd.DataFrame:
    """The largest off-diagonal cells of a confusion matrix (rows: true class), as row percentages."""
    percent = 100 * confusion.div(confusion.sum(axis=1).replace(0, 1), axis=0)
    cells = percent.stack().rename("% of the true class").reset_index()
    cells = cells[cells["true"] != cells["predicted"]]
    return cells.sort_values("% of the true class", ascending=False).head(count).reset_index(drop=True)


@torch.no_grad()
def step_probabilities(model: nn.Module, clip: torch.Tensor) -> np.ndarray:
    """steps × classes: the softmax at each time step that reaches the classifier, for one clip C×T×H×W."""
    model.eval()
    return model.step_logits(clip.unsqueeze(0))[0].softmax(dim=1).numpy()
