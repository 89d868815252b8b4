"""Evaluation: `mict test` and its library call.

Three ways to score a video, as in the original's study:

* clip: the first 16 frames, centre crop (the original's test.py);
* long: one clip of the first N frames through the network (MiCT takes any length,
  and averages its logits over time), N = 16, 35, 75, 150, 300 in the original;
* clips: the mean softmax over K clips spread uniformly over the video.

Each gives top-1/top-5, per-class accuracy, the confusion matrix and a predictions
table, as pandas DataFrames and as CSV files.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .atomic import atomic_path
from .bench import resolve_device
from .data import ClipDataset
from .progress import show_progress


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
                          device: str | torch.device = "cpu", workers: int = 0, progress: bool | None = None,
                          desc: str = "evaluating") -> np.ndarray:
    """Softmax probabilities, one row per video; K-clip items are averaged over their clips."""
    device = resolve_device(device)
    model = model.to(device).eval()
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=workers, shuffle=False)
    rows = []
    for clips, _ in tqdm(loader, desc=desc, leave=False, disable=not show_progress(progress)):
        per_video = clips.shape[1] if clips.dim() == 6 else None
        probabilities = softmax_of(model, clips.flatten(0, 1) if per_video else clips, device)
        if per_video:
            probabilities = probabilities.view(-1, per_video, probabilities.shape[1]).mean(dim=1)
        rows.append(probabilities)
    return torch.cat(rows).numpy()


@torch.no_grad()
def softmax_of(model: nn.Module, clips: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Class probabilities of a batch of clips, on the CPU; bfloat16 autocast on a GPU."""
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
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
             base_size: int = 192, batch_size: int = 16, device: str | torch.device = "cpu", workers: int = 0,
             progress: bool | None = None) -> Evaluation:
    """Score every video of a subset one way: mode 'clip' or 'long' (first `frames` frames) or 'clips'
    (`clips` clips of `frames` frames spread over the video, or over its first `span` frames, with their
    probabilities averaged)."""
    if mode not in ("clip", "long", "clips"):
        raise ValueError(f"mode must be 'clip', 'long' or 'clips', got {mode!r}")
    sampling = "uniform" if mode == "clips" else "first"
    dataset = ClipDataset(root, split=split, subset=subset, frames=frames, crop_size=crop_size,
                          base_size=base_size, sampling=sampling, clips=clips, span=span, augment=False)
    within = f" in {span}" if span else ""
    name = {"clip": f"clip {frames}", "long": f"long {frames}", "clips": f"{clips} clips of {frames}{within}"}[mode]
    # Long clips cost their length: keep about the same number of frames per batch.
    size = max(1, batch_size * 16 // (frames * (clips if mode == "clips" else 1)))
    probabilities = predict_probabilities(model, dataset, batch_size=size, device=device, workers=workers,
                                          progress=progress, desc=name)
    return summarise(name, probabilities, dataset)


def evaluate_all(model: nn.Module, root: str | Path, *, frames: int = 16,
                 long_frames: tuple[int, ...] = (), clips: int = 0, **options) -> tuple[pd.DataFrame, list[Evaluation]]:
    """The clip evaluation, then one long-clip evaluation per N in `long_frames`, then K clips."""
    evaluations = [evaluate(model, root, mode="clip", frames=frames, **options)]
    evaluations += [evaluate(model, root, mode="long", frames=n, **options) for n in long_frames if n != frames]
    if clips:
        evaluations.append(evaluate(model, root, mode="clips", frames=frames, clips=clips, **options))
    return pd.DataFrame([e.summary for e in evaluations]), evaluations
