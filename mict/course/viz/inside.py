"""Figures for notebook 07: inside a trained MiCT-ResNet (the tables of `mict.course.analysis.inside`)."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch

from mict.data import denormalize


def plot_branch_ablation(table: pd.DataFrame) -> plt.Figure:
    """Test top-1 with each tube's 3D branch switched off (`accuracy_without_3d_branches`)."""
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(table) + 1.2))
    colours = ["tab:purple"] + ["tab:orange"] * (len(table) - 2) + ["tab:blue"]
    ax.barh(table["model"], table["top1"], color=colours)
    for y, (value, lost) in enumerate(zip(table["top1"], table["points lost"], strict=True)):
        ax.text(value, y, f" {value:.1f}" + (f" (−{lost:.1f})" if y else ""), va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set(xlim=(0, 110), xlabel="test top-1 (%)", title="what each tube's 3D branch contributes, switched off "
                                                         "at test time")
    fig.tight_layout()
    return fig


def plot_branch_norms(table: pd.DataFrame) -> plt.Figure:
    """RMS of each tube's 3D and 2D branch outputs (`branch_norms`)."""
    long = table.melt(id_vars="tube", value_vars=["3D branch RMS", "2D branch RMS"], var_name="branch",
                      value_name="RMS")
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    sns.barplot(long, x="tube", y="RMS", hue="branch", palette=["tab:orange", "tab:blue"], ax=ax)
    ax.set(xlabel="", ylabel="root mean square of the output", title="how loud each branch is, per tube")
    fig.tight_layout()
    return fig


def plot_first_kernels(kernels: torch.Tensor, count: int = 8) -> plt.Figure:
    """The stem's first `count` learned 3D kernels (out×k×7×7×RGB), one row each, one column per frame.

    Each kernel is scaled to [0, 1] on its own, so grey is zero and colours show its sign and hue."""
    count = min(count, kernels.shape[0])
    frames = kernels.shape[1]
    fig, axes = plt.subplots(count, frames, figsize=(0.9 * frames + 1.2, 0.9 * count + 0.6), squeeze=False)
    for row in range(count):
        kernel = kernels[row]
        scale = kernel.abs().max().clamp_min(1e-12)
        shown = (kernel / scale * 0.5 + 0.5).clamp(0, 1).numpy()
        for t in range(frames):
            axes[row, t].imshow(shown[t], interpolation="nearest")
            axes[row, t].set_xticks([])
            axes[row, t].set_yticks([])
            if row == 0:
                axes[row, t].set_title(f"frame {t}", fontsize=8)
        axes[row, 0].set_ylabel(f"#{row}", fontsize=8)
    fig.suptitle("learned first 3D kernels: k frames × 7×7 × RGB (grey = 0)", fontsize=9)
    fig.tight_layout()
    return fig


def plot_frame_order(table: pd.DataFrame) -> plt.Figure:
    """Per class: test top-1 with the frames as recorded, reversed and shuffled (`accuracy_by_frame_order`)."""
    fig, ax = plt.subplots(figsize=(11, 3.6))
    sns.barplot(table, x="class", y="top1", hue="order", palette=["tab:green", "tab:red", "tab:gray"], ax=ax)
    ax.set(xlabel="", ylabel="test top-1 (%)", ylim=(0, 105), title="the same frames in another order")
    ax.tick_params(axis="x", rotation=30, labelsize=8)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_step_probabilities(clip: torch.Tensor, probabilities: np.ndarray, classes: list[str], label: int,
                            stride: int, title: str, top: int = 4) -> plt.Figure:
    """A clip's frames (one per time step), then the probability of its top classes at each step."""
    frames = denormalize(clip)  # T×C×H×W uint8
    steps = probabilities.shape[0]
    shown = [min(t * stride, len(frames) - 1) for t in range(steps)]
    columns = min(steps, 8)
    fig = plt.figure(figsize=(max(7.5, 1.2 * columns), 4.6))
    grid = fig.add_gridspec(2, columns, height_ratios=[1, 1.6])
    for i, t in enumerate(shown[:columns]):
        ax = fig.add_subplot(grid[0, i])
        ax.imshow(frames[t].permute(1, 2, 0).numpy())
        ax.set_axis_off()
        ax.set_title(f"step {i}: frame {t}", fontsize=7)
    ax = fig.add_subplot(grid[1, :])
    best = np.argsort(-probabilities.mean(axis=0))[:top]
    for k in best:
        style = "-" if k == label else "--"
        ax.plot(range(steps), 100 * probabilities[:, k], style, marker="o", label=classes[k] + (" (true)" if
                                                                                               k == label else ""))
    ax.set(xlabel="time step", ylabel="probability (%)", ylim=(-3, 103), xticks=range(steps))
    ax.legend(fontsize=8, loc="center right")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig
