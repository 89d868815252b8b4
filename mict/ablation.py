"""The two ablations of the original study, run the same way on any dataset.

* Kernel size: MiCT-ResNet-18 with a first 3D kernel of 3, 5 or 7 frames, beside the
  3D-ResNet-18 and the frame ResNet-18: accuracy against cost.
* Clip length: v1 (temporal stride 16) and v2 (stride 4) trained on 16-frame clips, tested
  on the first N frames of each video, as one long clip or as K 16-frame clips averaged.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from .bench import benchmark_model
from .evaluate import evaluate
from .models import get_model


@dataclass(frozen=True)
class Variant:
    label: str
    model: str
    options: dict

    def config_overrides(self) -> dict:
        return {"model": self.model, **self.options}


KERNEL_ABLATION = (
    Variant("MiCT-ResNet-18 3x7x7", "mict_resnet18", {"temporal_kernel": 3}),
    Variant("MiCT-ResNet-18 5x7x7", "mict_resnet18", {"temporal_kernel": 5}),
    Variant("MiCT-ResNet-18 7x7x7", "mict_resnet18", {"temporal_kernel": 7}),
    Variant("3D-ResNet-18", "resnet3d_18", {}),
    Variant("frame ResNet-18", "frame_resnet18", {}),
)


def architecture_costs(variants=KERNEL_ABLATION, *, frames: int = 16, size: int = 160, runs: int = 5,
                       warmup: int = 2, device: str = "cpu") -> pd.DataFrame:
    """Parameters, GFLOPs, frames/s and memory of each variant at the original's size (width 64,
    101 classes, one 16×160×160 clip at a time): the architecture the original measured."""
    rows = []
    for variant in variants:
        torch.manual_seed(0)
        model = get_model(variant.model, num_classes=101, **variant.options)
        row = benchmark_model(model, variant.label, frames=frames, size=size, runs=runs, warmup=warmup,
                              device=device)
        rows.append({"label": variant.label, "params_millions": row["params"] / 1e6,
                     "gflops": row["gflops_per_clip"], "cpu_fps": row["frames_per_s"],
                     "cpu_memory_mb": row["peak_memory_mb"]})
    return pd.DataFrame(rows)


def temporal_steps(frames: int, temporal_stride: int) -> int:
    """How many time steps reach the classifier for a clip of `frames` frames."""
    return math.ceil(frames / temporal_stride)


def clip_length_curve(model: nn.Module, root: str | Path, lengths: list[int], *, label: str,
                      clip_frames: int = 16, **options) -> pd.DataFrame:
    """Top-1 for each number of frames N, two ways: one clip of the first N frames, and
    ceil(N / clip_frames) clips of `clip_frames` frames spread over those N frames, averaged."""
    rows = []
    for n in lengths:
        long = evaluate(model, root, mode="long", frames=n, **options)
        rows.append({"model": label, "method": "one long clip", "frames": n, "top1": long.summary["top1"]})
        clips = max(1, math.ceil(n / clip_frames))
        averaged = evaluate(model, root, mode="clips", frames=clip_frames, clips=clips, span=n, **options)
        rows.append({"model": label, "method": "K 16-frame clips averaged", "frames": n,
                     "top1": averaged.summary["top1"]})
    return pd.DataFrame(rows)
