"""Figures of notebook 01: the dataset's splits and statistics, sample frames, motion, and the split leak.

Tables come in with the manifest's columns (video, class_name, label, group, clip, split1…3,
and n_frames, fps, frames_dir for prepared videos); every random choice takes a seed, so
the same inputs give the same figure.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from mict.data.dataset import read_frames
from mict.data.ucf101 import SPLITS, groups_tested_in

from ..analysis.split_leak import SPLIT_COLUMNS

SUBSET_COLOURS = {"train": "tab:blue", "test": "tab:orange"}
LEAK_COLOURS = {"official split": "tab:blue", "group split": "tab:blue", "random split": "tab:red"}


def _class_order(table: pd.DataFrame) -> list[str]:
    return list(table[["label", "class_name"]].drop_duplicates().sort_values("label")["class_name"])


# --- Splits and statistics ----------------------------------------------------------------------

def split_sizes(videos: pd.DataFrame) -> pd.DataFrame:
    """Videos per split and subset: columns split, subset, videos."""
    counts = videos[SPLIT_COLUMNS].melt(var_name="split", value_name="subset").value_counts()
    table = counts.rename("videos").reset_index()
    table["split"] = table["split"].str.replace("split", "split ")
    return table.sort_values(["split", "subset"], ascending=[True, False]).reset_index(drop=True)


def plot_split_sizes(videos: pd.DataFrame, title: str = "Videos per split") -> plt.Figure:
    """Train and test sizes of the three official splits, each bar labelled with its count."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    sns.barplot(split_sizes(videos), x="split", y="videos", hue="subset", hue_order=["train", "test"],
                palette=SUBSET_COLOURS, ax=ax)
    for bars in ax.containers:
        ax.bar_label(bars, fmt="{:,.0f}", fontsize=8)
    ax.set(title=title, xlabel="", ylabel="videos")
    ax.margins(y=0.12)
    sns.despine(fig)
    return fig


def clips_per_group(videos: pd.DataFrame) -> pd.DataFrame:
    """Clips of every (class, group): classes as rows in label order, groups as columns."""
    table = videos.groupby(["class_name", "group"]).size().unstack(fill_value=0)
    return table.loc[_class_order(videos)]


def plot_clips_per_group(videos: pd.DataFrame, title: str = "Clips per class and group") -> plt.Figure:
    """A class × group heatmap of clip counts, with the groups each split tests on marked."""
    table = clips_per_group(videos)
    n_classes, n_groups = table.shape
    low, high = int(table.to_numpy().min()), int(table.to_numpy().max())
    colours = sns.color_palette("viridis", high - low + 1)  # one colour per count: counts are whole numbers
    fig, ax = plt.subplots(figsize=(min(12, 2.5 + 0.36 * n_groups), 2 + 0.13 * max(n_classes, 12)))
    sns.heatmap(table, cmap=colours, vmin=low - 0.5, vmax=high + 0.5, annot=n_classes <= 12, fmt="d",
                cbar_kws={"label": "clips", "ticks": range(low, high + 1)},
                yticklabels=True if n_classes <= 30 else "auto", linewidths=0.3 if n_classes <= 30 else 0, ax=ax)
    groups = list(table.columns)
    spans = [(f"tested in split {k}", [g for g in groups_tested_in(k) if g in groups]) for k in SPLITS]
    spans.append(("training in every split", [g for g in groups if g > groups_tested_in(SPLITS[-1])[-1]]))
    for text, tested in spans:
        if tested:
            first, last = groups.index(tested[0]), groups.index(tested[-1])
            ax.axvline(last + 1, color="white", linewidth=2)
            ax.text((first + last + 1) / 2, -0.4, text, ha="center", va="bottom", fontsize=8)
    ax.set(xlabel="group", ylabel="")
    ax.set_title(title, pad=18)
    return fig


def plot_video_lengths(manifest: pd.DataFrame, clip_frames: int = 16,
                       title: str = "Video lengths") -> plt.Figure:
    """How long the videos are: a histogram in seconds and a box per class, next to one clip's duration."""
    seconds = manifest["n_frames"] / manifest["fps"]
    lengths = manifest.assign(seconds=seconds)
    order = list(lengths.groupby("class_name")["seconds"].median().sort_values().index)
    clip_seconds = clip_frames / float(manifest["fps"].median())
    height = 3.5 + 0.12 * max(0, len(order) - 10)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, height), width_ratios=(1, 1.2))
    sns.histplot(lengths, x="seconds", bins=_whole_frame_bins(manifest), color="tab:blue", ax=left)
    left.set(title=f"{title}: all {len(manifest):,} videos", xlabel="length (s)", ylabel="videos")
    sns.boxplot(lengths, x="seconds", y="class_name", order=order, color="tab:blue", fliersize=2, ax=right)
    right.set(title="per class (sorted by median)", xlabel="length (s)", ylabel="")
    if len(order) > 30:
        right.set_yticks([])
    for ax in (left, right):
        ax.axvline(clip_seconds, color="tab:red", linestyle="--", linewidth=1)
    left.text(clip_seconds, left.get_ylim()[1], f" one {clip_frames}-frame clip", color="tab:red",
              va="top", fontsize=8)
    sns.despine(fig)
    fig.tight_layout()
    return fig


def _whole_frame_bins(manifest: pd.DataFrame, count: int = 30) -> np.ndarray:
    """Bin edges (s) that each hold the same number of whole frames, so the histogram does not alias."""
    shortest, longest = int(manifest["n_frames"].min()), int(manifest["n_frames"].max())
    width = max(1, -(-(longest - shortest + 1) // count))
    return (np.arange(shortest, longest + width + 1, width) - 0.5) / float(manifest["fps"].median())


# --- Frames ---------------------------------------------------------------------------------------

def pick_videos(manifest: pd.DataFrame, classes: list[str], seed: int = 0) -> pd.DataFrame:
    """One video per class, drawn with `seed`, in the order of `classes`."""
    missing = sorted(set(classes) - set(manifest["class_name"]))
    if missing:
        raise ValueError(f"no videos of {missing} in the manifest; its classes are {_class_order(manifest)}")
    rng = np.random.default_rng(seed)
    rows = []
    for name in classes:
        candidates = manifest[manifest["class_name"] == name]
        rows.append(candidates.iloc[int(rng.integers(len(candidates)))])
    return pd.DataFrame(rows).reset_index(drop=True)


def video_frames(root: str | Path, video: pd.Series, indices) -> np.ndarray:
    """Frames `indices` of one prepared video as T×H×W×3 uint8 (ready for imshow)."""
    return read_frames(Path(root) / video["frames_dir"], list(indices)).permute(0, 2, 3, 1).numpy().copy()


def plot_sample_frames(root: str | Path, manifest: pd.DataFrame, classes: list[str] | None = None,
                       frames: int = 5, seed: int = 0, max_classes: int = 10) -> plt.Figure:
    """One row per class: `frames` frames spread from the start to the end of one of its videos."""
    classes = list(classes or _class_order(manifest)[:max_classes])
    videos = pick_videos(manifest, classes, seed)
    fig, axes = plt.subplots(len(classes), frames, figsize=(1.6 * frames + 1.2, 1.25 * len(classes)),
                             squeeze=False)
    for row, video in videos.iterrows():
        indices = np.linspace(0, video["n_frames"] - 1, frames).round().astype(int)
        for ax, index, image in zip(axes[row], indices, video_frames(root, video, indices), strict=True):
            ax.imshow(image)
            ax.set_xticks([]), ax.set_yticks([])
            ax.text(2, 2, f"{index}", color="white", fontsize=7, va="top",
                    bbox={"facecolor": "black", "alpha": 0.5, "pad": 1, "linewidth": 0})
        axes[row, 0].set_ylabel(video["class_name"], rotation=0, ha="right", va="center", fontsize=9)
    for ax, fraction in zip(axes[0], np.linspace(0, 100, frames), strict=True):
        ax.set_title(f"{fraction:.0f} % of the video", fontsize=8)
    fig.subplots_adjust(wspace=0.04, hspace=0.06)
    return fig


def motion_history(frames: np.ndarray, step: int = 4, threshold: float = 40.0) -> np.ndarray:
    """When each pixel last changed: a frame index in `step`…T−1, NaN where it never did.

    A pixel changes at frame t when it differs from frame t − `step` by more than
    `threshold` in some colour channel (a step of a few frames lets a slow object clear
    its own edge). The order of the changes is what one frame, or one difference, lacks:
    it says which way the object went.
    """
    if not 1 <= step < len(frames):
        raise ValueError(f"a motion history over {len(frames)} frames needs 1 ≤ step < {len(frames)}, got {step}")
    frames = frames.astype(np.int16)
    changed = np.abs(frames[step:] - frames[:-step]).max(axis=-1) > threshold  # (T−step)×H×W
    times = np.arange(step, len(frames))[:, None, None]
    last = np.where(changed, times, 0).max(axis=0).astype(np.float32)
    last[last == 0] = np.nan
    return last


def plot_frame_differences(root: str | Path, manifest: pd.DataFrame, classes=("MoveLeft", "MoveRight"),
                           gap: int = 8, span: int | None = None, seed: int = 0, step: int = 4,
                           threshold: float = 40.0) -> plt.Figure:
    """Per class: two frames `gap` apart, their difference, and the motion history of the first `span` frames
    (the whole video when None)."""
    videos = pick_videos(manifest, list(classes), seed)
    fig, axes = plt.subplots(len(videos), 4, figsize=(11, 2.3 * len(videos)), squeeze=False)
    for row, video in videos.iterrows():
        count = min(span or int(video["n_frames"]), int(video["n_frames"]))
        frames = video_frames(root, video, range(count))
        later = min(gap, count - 1)
        difference = np.abs(frames[later].astype(np.int16) - frames[0].astype(np.int16)).max(axis=-1)
        history = motion_history(frames, min(step, count - 1), threshold)
        axes[row, 0].imshow(frames[0])
        axes[row, 1].imshow(frames[later])
        axes[row, 2].imshow(difference, cmap="gray", vmin=0, vmax=255)
        axes[row, 3].imshow(frames[0].mean(axis=-1), cmap="gray", vmin=0, vmax=255, alpha=0.4)
        shown = axes[row, 3].imshow(history, cmap="viridis", vmin=0, vmax=count - 1)
        fig.colorbar(shown, ax=axes[row, 3], fraction=0.046, pad=0.02, label="last change (frame)")
        axes[row, 0].set_ylabel(video["class_name"], fontsize=10)
        titles = ("frame 0", f"frame {later}", f"|frame {later} − frame 0|", f"motion history, frames 0–{count - 1}")
        for ax, title in zip(axes[row], titles, strict=True):
            ax.set_xticks([]), ax.set_yticks([])
            ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


# --- The random-split leak --------------------------------------------------------------------------

def plot_random_split_leak(leak: pd.DataFrame, nearest: pd.DataFrame, chance: float,
                           leak_source: str = "the split lists",
                           nearest_source: str = "the prepared videos") -> plt.Figure:
    """Left: test videos whose group is also in training; right: 1-NN top-1 on appearance; per split.

    `leak` and `nearest` are `mict.data.splits.leak_table` and `nearest_neighbour_table`.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    panels = (
        (left, leak, f"Test videos whose group is in training\n({leak_source})", "% of test videos"),
        (right, nearest, f"1-nearest-neighbour on appearance only\n({nearest_source})", "top-1 (%)"),
    )
    for ax, table, title, ylabel in panels:
        long = table.melt(id_vars="split", var_name="how", value_name="percent")
        long["split"] = "split " + long["split"].astype(str)
        sns.barplot(long, x="split", y="percent", hue="how", palette=LEAK_COLOURS, ax=ax)
        for bars in ax.containers:
            ax.bar_label(bars, fmt="{:.0f}", fontsize=8)
        ax.set(title=title, xlabel="", ylabel=ylabel, ylim=(0, 105))
    right.axhline(chance, color="black", linestyle="--", linewidth=1, label=f"chance ({chance:.0f} %)")
    for ax in (left, right):
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=3, frameon=False, fontsize=8)
    sns.despine(fig)
    fig.tight_layout()
    return fig
