"""Evaluation: `mict test` and its library call.

Three ways to score a video, as in the original's study:

* clip: the first 16 frames, centre crop (the original's test.py);
* long: one clip of the first N frames through the network (MiCT takes any length,
  and averages its logits over time), N = 16, 35, 75, 150, 300 in the original;
* clips: the mean softmax over K clips spread uniformly over the video.

Each gives top-1/top-5, per-class accuracy, the confusion matrix and a predictions
table, as pandas DataFrames and as CSV files.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .atomic import atomic_path
from .config import TrainConfig
from .data import ClipDataset
from .data.sampling import uniform_clips
from .errors import ConfigError
from .progress import show_progress
from .runtime import autocast, resolve_device


@dataclass
class Evaluation:
    name: str
    summary: dict
    predictions: pd.DataFrame
    per_class: pd.DataFrame
    confusion: pd.DataFrame

    def save(self, out: str | Path) -> list[Path]:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        slug = self.name.replace(" ", "_")
        written = []
        for kind, table in (("predictions", self.predictions), ("per_class", self.per_class),
                            ("confusion", self.confusion)):
            path = out / f"{slug}_{kind}.csv"
            with atomic_path(path) as tmp:
                table.to_csv(tmp, index=kind == "confusion")
            written.append(path)
        return written


@torch.no_grad()
def predict_probabilities(model: nn.Module, dataset: ClipDataset, *, batch_size: int = 16,
                          device: str | torch.device = "cpu", amp: str = "auto", workers: int = 0,
                          progress: bool | None = None, desc: str = "evaluating") -> np.ndarray:
    """Softmax probabilities, one row per video; K-clip items are averaged over their clips."""
    device = resolve_device(device)
    model = model.to(device).eval()
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=workers, shuffle=False)
    rows = []
    for clips, _ in tqdm(loader, desc=desc, leave=False, disable=not show_progress(progress)):
        per_video = clips.shape[1] if clips.dim() == 6 else None
        probabilities = softmax_of(model, clips.flatten(0, 1) if per_video else clips, device, amp)
        if per_video:
            probabilities = probabilities.view(-1, per_video, probabilities.shape[1]).mean(dim=1)
        rows.append(probabilities)
    return torch.cat(rows).numpy()


@torch.no_grad()
def softmax_of(model: nn.Module, clips: torch.Tensor, device: torch.device, amp: str = "auto") -> torch.Tensor:
    """Class probabilities of a batch of clips, on the CPU, under the mixed-precision policy of
    `mict.runtime.autocast` (as in training: bf16 or fp16 on CUDA, float32 elsewhere)."""
    with autocast(device, amp):
        return model(clips.to(device)).float().softmax(dim=1).cpu()


def summarise(name: str, probabilities: np.ndarray, dataset: ClipDataset) -> Evaluation:
    """Accuracy tables from per-video probabilities."""
    classes = dataset.classes
    labels = dataset.labels
    order = np.argsort(-probabilities, axis=1)[:, :5]
    top5_probabilities = np.take_along_axis(probabilities, order, axis=1)
    predictions = pd.DataFrame({"video": dataset.videos["video"], "label": labels,
                                "class_name": [classes[i] for i in labels]})
    for k in range(order.shape[1]):
        predictions[f"top{k + 1}_class"] = [classes[i] for i in order[:, k]]
        predictions[f"top{k + 1}_probability"] = top5_probabilities[:, k]
    predictions["correct1"] = order[:, 0] == labels
    predictions["correct5"] = (order == labels[:, None]).any(axis=1)
    per_class = (predictions.groupby("class_name", sort=False)
                 .agg(videos=("correct1", "size"), top1=("correct1", "mean"), top5=("correct5", "mean"))
                 .reindex([c for c in classes if c in set(predictions["class_name"])]).reset_index())
    per_class[["top1", "top5"]] *= 100
    confusion = pd.crosstab(pd.Categorical(predictions["class_name"], categories=classes),
                            pd.Categorical(predictions["top1_class"], categories=classes),
                            rownames=["true"], colnames=["predicted"], dropna=False)
    summary = {"evaluation": name, "videos": len(predictions), "top1": 100 * predictions["correct1"].mean(),
               "top5": 100 * predictions["correct5"].mean()}
    return Evaluation(name, summary, predictions, per_class, confusion)


def evaluate(model: nn.Module, root: str | Path, *, split: int = 1, subset: str = "test", mode: str = "clip",
             frames: int = 16, clips: int = 5, span: int | None = None, crop_size: int = 160,
             base_size: int = 192, batch_size: int = 16, device: str | torch.device = "cpu", amp: str = "auto",
             workers: int = 0, progress: bool | None = None) -> Evaluation:
    """Score every video of a subset one way: mode 'clip' or 'long' (first `frames` frames) or 'clips'
    (`clips` clips of `frames` frames spread over the video, or over its first `span` frames, with their
    probabilities averaged)."""
    if mode not in ("clip", "long", "clips"):
        raise ConfigError(f"mode must be 'clip', 'long' or 'clips', got {mode!r}")
    sampling = "uniform" if mode == "clips" else "first"
    dataset = ClipDataset(root, split=split, subset=subset, frames=frames, crop_size=crop_size,
                          base_size=base_size, sampling=sampling, clips=clips, span=span, augment=False)
    within = f" in {span}" if span else ""
    name = {"clip": f"clip {frames}", "long": f"long {frames}", "clips": f"{clips} clips of {frames}{within}"}[mode]
    # Long clips cost their length: keep about the same number of frames per batch.
    size = max(1, batch_size * 16 // (frames * (clips if mode == "clips" else 1)))
    probabilities = predict_probabilities(model, dataset, batch_size=size, device=device, amp=amp,
                                          workers=workers, progress=progress, desc=name)
    return summarise(name, probabilities, dataset)


def evaluate_all(model: nn.Module, root: str | Path, *, frames: int = 16,
                 long_frames: tuple[int, ...] = (), clips: int = 0, **options) -> tuple[pd.DataFrame, list[Evaluation]]:
    """The clip evaluation, then one long-clip evaluation per N in `long_frames`, then K clips."""
    evaluations = [evaluate(model, root, mode="clip", frames=frames, **options)]
    evaluations += [evaluate(model, root, mode="long", frames=n, **options) for n in long_frames if n != frames]
    if clips:
        evaluations.append(evaluate(model, root, mode="clips", frames=frames, clips=clips, **options))
    return pd.DataFrame([e.summary for e in evaluations]), evaluations


@torch.no_grad()
def clip_length_probabilities(model: nn.Module, root: str | Path, lengths: list[int], *, clip_frames: int = 16,
                              split: int = 1, crop_size: int = 160, base_size: int = 192, videos_per_batch: int = 4,
                              device: str | torch.device = "cpu", amp: str = "auto", progress: bool | None = None,
                              ) -> tuple[dict[tuple[str, int], np.ndarray], np.ndarray]:
    """Softmax probabilities of every test video for each length N, two ways that see exactly the same
    frames, and the labels.

    The sequence for N is the video's first N frames, looped as in the original when the video is
    shorter. 'long' runs it through the network as one clip; 'clips' splits it into
    K = ceil(N / clip_frames) clips of `clip_frames` frames spread over the sequence (the last ones
    overlap when N is not a multiple) and averages their probabilities. Each video is decoded and
    preprocessed once, for every length and both ways. (`evaluate(mode='clips')` instead spreads
    its clips over the whole video, never looping.)
    """
    device = resolve_device(device)
    model = model.to(device).eval()
    dataset = ClipDataset(root, split=split, subset="test", frames=max(lengths), sampling="first",
                          crop_size=crop_size, base_size=base_size, augment=False)
    probabilities: dict[tuple[str, int], list[torch.Tensor]] = {}
    batches = range(0, len(dataset), videos_per_batch)
    for start in tqdm(batches, desc="clip lengths", leave=False, disable=not show_progress(progress)):
        indices = range(start, min(start + videos_per_batch, len(dataset)))
        videos = torch.stack([dataset[i][0] for i in indices])  # B×C×max(lengths)×H×W, each looped if short
        for n in lengths:
            sequences = videos[:, :, :n]  # the first n frames of each looped video
            long = softmax_of(model, sequences, device, amp)
            probabilities.setdefault(("long", n), []).append(long)
            count = max(1, math.ceil(n / clip_frames))
            if count == 1 and n == clip_frames:  # one clip of the whole sequence: the long clip itself
                probabilities.setdefault(("clips", n), []).append(long)
                continue
            positions = [list(sample.indices) for sample in uniform_clips(n, clip_frames, count)]
            clips = torch.stack([sequences[b, :, p] for b in range(len(indices)) for p in positions])
            averaged = softmax_of(model, clips, device, amp).view(len(indices), count, -1).mean(dim=1)
            probabilities.setdefault(("clips", n), []).append(averaged)
    return {key: torch.cat(parts).numpy() for key, parts in probabilities.items()}, dataset.labels


def recorded_predictions(model: nn.Module, config: TrainConfig, lengths: tuple[int, ...] = ()) -> dict[str, np.ndarray]:
    """What a sweep keeps of a run trained with `config`: per-video
    probabilities of 16-frame clips on test and validation, with labels, video names and lengths,
    and for each N of `lengths` the two clip-length evaluations (`test/longN`, `test/clipsN`)."""
    root = config.data_root()
    common = dict(split=config.split, frames=config.frames, crop_size=config.crop_size, base_size=config.base_size)
    arrays = {}
    for subset in ("test", "val"):
        dataset = ClipDataset(root, subset=subset, sampling="first", augment=False, val_groups=config.val_groups,
                              **common)
        arrays[f"{subset}/clip"] = predict_probabilities(model, dataset, progress=False).astype(np.float32)
        arrays[f"{subset}/labels"] = dataset.labels.astype(np.int64)
        arrays[f"{subset}/videos"] = dataset.videos["video"].to_numpy(dtype=str)
        arrays[f"{subset}/n_frames"] = dataset.videos["n_frames"].to_numpy(dtype=np.int64)
    if lengths:
        curves, _ = clip_length_probabilities(model, root, list(lengths), clip_frames=config.frames,
                                              split=config.split, crop_size=config.crop_size,
                                              base_size=config.base_size, progress=False)
        for (way, n), probabilities in curves.items():
            arrays[f"test/{way}{n}"] = probabilities.astype(np.float32)
    return arrays
