"""Figures of training and evaluation: learning curves, confusion, per-class accuracy, a
prediction gallery, and the two ablations next to the original's reported numbers."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch

from ..data import ClipDataset, denormalize


def plot_learning_curves(histories: dict[str, pd.DataFrame]) -> plt.Figure:
    """Loss and top-1 per epoch, training (dashed) against validation (solid), for each run."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    colours = sns.color_palette("tab10", len(histories))
    for colour, (name, history) in zip(colours, histories.items(), strict=True):
        for ax, metric in zip(axes, ("loss", "top1"), strict=True):
            ax.plot(history["epoch"], history[f"train_{metric}"], "--", color=colour, label=f"{name} train")
            if f"val_{metric}" in history:
                ax.plot(history["epoch"], history[f"val_{metric}"], "-", color=colour, label=f"{name} validation")
    axes[0].set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    axes[1].set(xlabel="epoch", ylabel="top-1 (%)", title="accuracy", ylim=(0, 100))
    axes[1].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def plot_confusion(confusion: pd.DataFrame, title: str, ax: plt.Axes | None = None) -> plt.Figure:
    """A confusion matrix as row-normalised percentages: row = true class, column = prediction."""
    fig = ax.figure if ax is not None else plt.figure(figsize=(6.5, 5.5))
    ax = ax or fig.add_subplot()
    rows = confusion.to_numpy().sum(axis=1, keepdims=True)
    percent = 100 * confusion.to_numpy() / np.maximum(rows, 1)
    sns.heatmap(pd.DataFrame(percent, index=confusion.index, columns=confusion.columns), ax=ax, vmin=0, vmax=100,
                annot=True, fmt=".0f", cmap="Blues", cbar=False, annot_kws={"fontsize": 7})
    ax.set(title=title, xlabel="predicted", ylabel="true")
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def plot_confusions(confusions: dict[str, pd.DataFrame]) -> plt.Figure:
    fig, axes = plt.subplots(1, len(confusions), figsize=(6.2 * len(confusions), 5.6))
    for ax, (title, confusion) in zip(np.atleast_1d(axes), confusions.items(), strict=True):
        plot_confusion(confusion, title, ax=ax)
    return fig


def plot_per_class(per_class: dict[str, pd.DataFrame]) -> plt.Figure:
    """Top-1 per class, one bar per model."""
    table = pd.concat([t.assign(model=name) for name, t in per_class.items()])
    fig, ax = plt.subplots(figsize=(11, 3.6))
    sns.barplot(table, x="class_name", y="top1", hue="model", ax=ax)
    ax.set(xlabel="", ylabel="test top-1 (%)", ylim=(0, 105))
    ax.tick_params(axis="x", rotation=30, labelsize=8)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def prediction_gallery(dataset: ClipDataset, predictions: pd.DataFrame, rows: list[int],
                       frames_shown: int = 4) -> plt.Figure:
    """Test clips (a few frames each) beside their top-5 predictions."""
    fig, axes = plt.subplots(len(rows), frames_shown + 1, figsize=(2.0 * frames_shown + 3.4, 1.9 * len(rows)),
                             gridspec_kw={"width_ratios": [1] * frames_shown + [1.7]})
    for r, index in enumerate(rows):
        clip = denormalize(dataset[index][0])  # T×C×H×W
        steps = np.linspace(0, clip.shape[0] - 1, frames_shown).round().astype(int)
        for c, t in enumerate(steps):
            axes[r, c].imshow(clip[t].permute(1, 2, 0).numpy())
            axes[r, c].set_axis_off()
            if r == 0:
                axes[r, c].set_title(f"frame {t + 1}", fontsize=8)
        row = predictions.iloc[index]
        names = [row[f"top{k}_class"] for k in range(1, 6) if f"top{k}_class" in row]
        values = [100 * row[f"top{k}_probability"] for k in range(1, len(names) + 1)]
        colours = ["tab:green" if n == row["class_name"] else "tab:gray" for n in names]
        ax = axes[r, -1]
        ax.barh(range(len(names))[::-1], values, color=colours)
        ax.set_yticks(range(len(names))[::-1], names, fontsize=7)
        ax.set_xlim(0, 100)
        ax.tick_params(axis="x", labelsize=7)
        axes[r, 0].text(0, -0.08, f"true: {row['class_name']}", transform=axes[r, 0].transAxes, fontsize=8,
                        va="top")
    axes[-1, -1].set_xlabel("probability (%)", fontsize=8)
    fig.tight_layout()
    return fig


def plot_kernel_ablation(ours: pd.DataFrame, reference: pd.DataFrame) -> plt.Figure:
    """Accuracy against CPU speed for our runs, beside the original's accuracy against GPU speed."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    labels = list(dict.fromkeys([*ours["label"], *reference["label"]]))
    palette = dict(zip(labels, sns.color_palette(n_colors=len(labels)), strict=True))  # one colour per model
    for ax, table, accuracy, speed, title in (
        (axes[0], ours, "test_top1", "cpu_fps", "this course: synthetic test split, CPU frames/s"),
        (axes[1], reference, "top1", "fps", "original: UCF-101 (3 splits), Titan RTX frames/s"),
    ):
        sns.scatterplot(table, x=speed, y=accuracy, hue="label", palette=palette, s=90, ax=ax, legend=False)
        for _, row in table.iterrows():
            ax.annotate(row["label"], (row[speed], row[accuracy]), textcoords="offset points", xytext=(5, 4),
                        fontsize=8)
        ax.set(xlabel="frames/s (16-frame 160×160 clips, batch 1)", ylabel="top-1 (%)", title=title)
        ax.margins(x=0.25, y=0.15)
    fig.tight_layout()
    return fig


def plot_clip_length(ours: pd.DataFrame, reference: pd.DataFrame) -> plt.Figure:
    """Top-1 against the number of frames seen: our v1/v2 by one long clip and by K clips,
    beside the original's MiCT-ResNet-18/34 (v2, one long clip, 3-split average)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    sns.lineplot(ours, x="frames", y="top1", hue="model", style="method", markers=True, dashes=True, ax=axes[0])
    axes[0].set(xlabel="frames seen per video", ylabel="test top-1 (%)",
                title="this course: trained on 16-frame clips (synthetic)")
    sns.lineplot(reference, x="frames", y="top1", hue="model", marker="o", ax=axes[1])
    axes[1].set(xscale="log", xlabel="frames seen per video", ylabel="top-1 (%)",
                title="original: v2, one long clip (UCF-101, 3 splits)")
    axes[1].set_xticks(sorted(reference["frames"].unique()), [str(f) for f in sorted(reference["frames"].unique())])
    axes[1].minorticks_off()  # a log axis would also label 2×10¹, 3×10¹, … over our ticks
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


@torch.no_grad()
def frame_vs_clip_scores(model: torch.nn.Module, dataset: ClipDataset, index: int) -> pd.DataFrame:
    """Class probabilities of one clip played forwards and backwards: a motion model tells them
    apart, a frame model (no temporal order) cannot."""
    clip, label = dataset[index][:2]
    model.eval()
    forwards = model(clip.unsqueeze(0)).softmax(1)[0]
    backwards = model(clip.flip(1).unsqueeze(0)).softmax(1)[0]
    return pd.DataFrame({"forwards": 100 * forwards.numpy(), "backwards": 100 * backwards.numpy()},
                        index=pd.Index(dataset.classes, name="class"))
