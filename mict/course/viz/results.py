"""Figures of training and evaluation: learning curves, confusion, per-class accuracy, a
prediction gallery, and the two ablations next to the original's reported numbers.
They draw tables computed elsewhere (`mict.evaluate`, `mict.course.analysis`)."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from mict.data import ClipDataset, denormalize


def plot_learning_curves(histories: dict[str, pd.DataFrame], schedule: pd.DataFrame | None = None) -> plt.Figure:
    """Loss and top-1 per epoch, training (dashed) against validation (solid), for each run; with
    `schedule` (`learning_rate_schedule`), the learning rate of every step in a third panel."""
    fig, axes = plt.subplots(1, 2 if schedule is None else 3, figsize=(11 if schedule is None else 15, 3.8))
    colours = sns.color_palette("tab10", len(histories))
    for colour, (name, history) in zip(colours, histories.items(), strict=True):
        for ax, metric in zip(axes, ("loss", "top1"), strict=False):
            ax.plot(history["epoch"], history[f"train_{metric}"], "--", color=colour, label=f"{name} train")
            if f"val_{metric}" in history:
                ax.plot(history["epoch"], history[f"val_{metric}"], "-", color=colour, label=f"{name} validation")
    axes[0].set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    axes[1].set(xlabel="epoch", ylabel="top-1 (%)", title="accuracy", ylim=(0, 100))
    axes[1].legend(loc="lower right", fontsize=8)
    if schedule is not None:
        axes[2].plot(schedule["epoch"], schedule["lr"], color="tab:gray")
        axes[2].set(xlabel="epoch", ylabel="learning rate", title="the one-cycle schedule, step by step")
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


ARM_COLOURS = {"mict_k3": "tab:orange", "mict_k5": "tab:olive", "mict_k7": "tab:red", "mict_2d": "tab:blue",
               "resnet3d": "tab:purple", "frame": "tab:gray", "v1": "tab:red", "v2": "tab:green"}


def plot_arm_accuracy(table: pd.DataFrame, title: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Each arm's test top-1: one dot per seed, the mean, and its 95% interval (`arm_table`)."""
    fig = ax.figure if ax is not None else plt.figure(figsize=(8, 0.5 * len(table) + 1.4))
    ax = ax or fig.add_subplot()
    for y, row in enumerate(table.itertuples()):
        colour = ARM_COLOURS.get(row.arm, "tab:blue")
        ax.plot([row.low, row.high], [y, y], color=colour, linewidth=6, alpha=0.35, solid_capstyle="butt")
        ax.scatter(row.per_seed, [y] * len(row.per_seed), color=colour, s=18, zorder=3)
        ax.plot(row.mean, y, "|", color="black", markersize=16, markeredgewidth=2, zorder=4)
        ax.text(101, y, f"{row.mean:.1f} [{row.low:.1f}, {row.high:.1f}]", va="center", fontsize=8)
    ax.set_yticks(range(len(table)), [f"{label} ({seeds} seeds)" for label, seeds in zip(table["label"],
                                                                                          table["seeds"], strict=True)])
    ax.invert_yaxis()
    ax.set(xlim=(0, 100), xlabel="test top-1 (%): dots = seeds, bar = 95% interval, | = mean", title=title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_differences(table: pd.DataFrame, title: str) -> plt.Figure:
    """Paired differences with their 95% intervals (`difference_table`): an interval that crosses the
    dashed zero line is a difference the data do not support."""
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(table) + 1.4))
    for y, row in enumerate(table.itertuples()):
        colour = "tab:gray" if row.low <= 0 <= row.high else "tab:green"
        ax.plot([row.low, row.high], [y, y], color=colour, linewidth=3)
        ax.plot(row.difference, y, "o", color=colour)
    ax.axvline(0, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(table)), table["comparison"])
    ax.invert_yaxis()
    ax.set(xlabel="difference in test top-1 (points), paired over seeds and videos, 95% interval", title=title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_original_kernels(reference: pd.DataFrame, split_sd: float, source: str) -> plt.Figure:
    """The original's top-1 (3-split averages) against its GPU frames/s, with ±1 split-to-split SD."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    ax.errorbar(reference["fps"], reference["top1"], yerr=split_sd, fmt="o", color="tab:brown", capsize=4)
    for _, row in reference.iterrows():
        ax.annotate(row["label"], (row["fps"], row["top1"]), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.set(xlabel="frames/s on a Titan RTX (16-frame 160×160 clips, batch 1)", ylabel="UCF-101 top-1 (%)",
           title=f"the original (3-split averages; bars: ±1 SD between splits, {source})")
    ax.margins(x=0.25, y=0.3)
    fig.tight_layout()
    return fig


def plot_clip_length_curves(table: pd.DataFrame, title: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Top-1 against the frames seen, per arm and way, with 95% intervals as bands (`clip_length_table`)."""
    fig = ax.figure if ax is not None else plt.figure(figsize=(7.5, 4.2))
    ax = ax or fig.add_subplot()
    names = {"long": "one long clip", "clips": "K 16-frame clips"}
    for (arm, way), rows in table.groupby(["arm", "way"], sort=False):
        rows = rows.sort_values("frames")
        colour, style = ARM_COLOURS.get(arm, "tab:blue"), "-" if way == "long" else "--"
        ax.fill_between(rows["frames"], rows["low"], rows["high"], color=colour, alpha=0.12)
        ax.plot(rows["frames"], rows["mean"], style, marker="o", color=colour,
                label=f"{rows['label'].iloc[0]}, {names[way]} ({rows['seeds'].iloc[0]} seeds)")
    ax.set(xlabel="frames seen per video", ylabel="test top-1 (%)", title=title, ylim=(0, 100))
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_original_clip_length(reference: pd.DataFrame) -> plt.Figure:
    """The original's top-1 against the frames of one long clip (v2), 3-split mean with the splits' range."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for model, rows in reference.groupby("model"):
        by_frames = rows.groupby("frames")["top1"]
        mean, low, high = by_frames.mean(), by_frames.min(), by_frames.max()
        ax.fill_between(mean.index, low, high, alpha=0.2)
        ax.plot(mean.index, mean, marker="o", label=f"{model} v2 (3-split mean; band: the splits' range)")
    ax.set(xscale="log", xlabel="frames in the one long test clip", ylabel="UCF-101 top-1 (%)",
           title="the original: v2 tested on longer clips")
    ticks = sorted(reference["frames"].unique())
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
