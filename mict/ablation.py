"""The two ablations of the original study, run the same way on any dataset.

* Kernel size: MiCT-ResNet-18 with a first 3D kernel of 3, 5 or 7 frames, beside the
  3D-ResNet-18 and the frame ResNet-18: accuracy against cost.
* Clip length: v1 (temporal stride 16) and v2 (stride 4) trained on 16-frame clips, tested
  on the first N frames of each video, as one long clip or as K 16-frame clips averaged.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .bench import benchmark_model, resolve_device
from .data import ClipDataset
from .data.sampling import uniform_clips
from .evaluate import softmax_of
from .models import get_model
from .progress import show_progress


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


@torch.no_grad()
def clip_length_probabilities(model: nn.Module, root: str | Path, lengths: list[int], *, clip_frames: int = 16,
                              split: int = 1, crop_size: int = 160, base_size: int = 192, videos_per_batch: int = 4,
                              device: str | torch.device = "cpu", progress: bool | None = None,
                              ) -> tuple[dict[tuple[str, int], np.ndarray], np.ndarray]:
    """Softmax probabilities of every test video for each length N, as one long clip ('long') and as
    K = ceil(N / clip_frames) clips spread over the first N frames, averaged ('clips'); and the labels.

    The same numbers as `evaluate(mode='long', frames=N)` and `evaluate(mode='clips', ...)` for each N,
    but each video is decoded and preprocessed once, for every length and both ways: its first
    max(lengths) frames (looped when shorter) hold every frame any of those clips takes.
    """
    device = resolve_device(device)
    model = model.to(device).eval()
    dataset = ClipDataset(root, split=split, subset="test", frames=max(lengths), sampling="first",
                          crop_size=crop_size, base_size=base_size, augment=False)
    n_frames = dataset.videos["n_frames"].to_numpy()
    probabilities: dict[tuple[str, int], list[torch.Tensor]] = {}
    batches = range(0, len(dataset), videos_per_batch)
    for start in tqdm(batches, desc="clip lengths", leave=False, disable=not show_progress(progress)):
        indices = range(start, min(start + videos_per_batch, len(dataset)))
        videos = torch.stack([dataset[i][0] for i in indices])  # B×C×max(lengths)×H×W
        for n in lengths:
            long = softmax_of(model, videos[:, :, :n], device)
            probabilities.setdefault(("long", n), []).append(long)
            count = max(1, math.ceil(n / clip_frames))
            if count == 1 and n == clip_frames:  # one clip of the first n frames: the long clip itself
                probabilities.setdefault(("clips", n), []).append(long)
                continue
            clips = [videos[b, :, list(sample.indices)]
                     for b, i in enumerate(indices)
                     for sample in uniform_clips(min(int(n_frames[i]), n), clip_frames, count)]
            averaged = softmax_of(model, torch.stack(clips), device).view(len(indices), count, -1).mean(dim=1)
            probabilities.setdefault(("clips", n), []).append(averaged)
    return {key: torch.cat(parts).numpy() for key, parts in probabilities.items()}, dataset.labels


def clip_length_curve(model: nn.Module, root: str | Path, lengths: list[int], *, label: str,
                      clip_frames: int = 16, **options) -> pd.DataFrame:
    """Top-1 for each number of frames N, two ways: one clip of the first N frames, and
    ceil(N / clip_frames) clips of `clip_frames` frames spread over those N frames, averaged."""
    probabilities, labels = clip_length_probabilities(model, root, lengths, clip_frames=clip_frames, **options)
    methods = {"long": "one long clip", "clips": f"K {clip_frames}-frame clips averaged"}
    return pd.DataFrame([{"model": label, "method": methods[way], "frames": n,
                          "top1": 100 * float((probabilities[way, n].argmax(axis=1) == labels).mean())}
                         for n in lengths for way in ("long", "clips")])
