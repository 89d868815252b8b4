"""Figures for notebook 03: 2D against 3D convolution, folding time, the Mixed Convolutional Tube,
shapes through the network, costs, and ImageNet inflation.

Clips are N×C×T×H×W tensors; tables are the DataFrames of `mict.models.trace` and `mict.bench`.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.patches import Rectangle

BRANCH_COLOURS = {"3D": "tab:orange", "2D": "tab:blue", "sum": "tab:purple", "video": "tab:green"}
STAGE_ORDER = ("input", "stem", "layer1", "layer2", "layer3", "layer4")


def toy_motion_clip(frames: int = 6, size: int = 9) -> torch.Tensor:
    """1×1×T×S×S: a still 2×2 square (top left) and a dot moving one pixel right per frame."""
    clip = torch.zeros(1, 1, frames, size, size)
    clip[..., 1:3, 1:3] = 1.0
    for t in range(frames):
        clip[0, 0, t, size - 3, (1 + t) % size] = 1.0
    return clip


def _blank(ax: plt.Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


# --- 2D against 3D convolution ----------------------------------------------------------------------

def plot_conv2d_vs_conv3d(clip: torch.Tensor, out2d: torch.Tensor, out3d: torch.Tensor) -> plt.Figure:
    """Input frames, a 2D convolution on each frame, a 3D convolution on pairs of frames."""
    frames = clip.shape[2]
    rows = [("input frame t", clip, "gray_r", (0, 1)),
            ("2D conv on frame t", out2d, "gray_r", (0, float(out2d.abs().max()))),
            ("3D conv on frames t, t+1", out3d, "RdBu_r", (-float(out3d.abs().max()), float(out3d.abs().max())))]
    fig, axes = plt.subplots(3, frames, figsize=(1.35 * frames + 1.6, 4.4), squeeze=False)
    for r, (label, tensor, cmap, (low, high)) in enumerate(rows):
        for t in range(frames):
            ax = axes[r, t]
            _blank(ax)
            if t < tensor.shape[2]:
                ax.imshow(tensor[0, 0, t].numpy(), cmap=cmap, vmin=low, vmax=high)
                ax.set_title(f"t={t}", fontsize=8)
            else:
                ax.axis("off")
        axes[r, 0].set_ylabel(label, fontsize=8)
    fig.suptitle(f"2D conv: {tuple(clip.shape)} → {tuple(out2d.shape)} (one frame at a time); "
                 f"3D conv: → {tuple(out3d.shape)} (sees change: the moving dot)", fontsize=9)
    fig.tight_layout()
    return fig


# --- Folding time into the batch --------------------------------------------------------------------

def plot_fold(batch: int = 2, time: int = 4) -> plt.Figure:
    """A clip batch N×C×T×H×W and the (N·T)×C×H×W batch of frames it folds into (clip-major)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 2.6), gridspec_kw={"width_ratios": [time + 1, batch * time]})
    cmap = plt.get_cmap("tab10")

    def box(ax, x, y, n, t):
        ax.add_patch(Rectangle((x, y), 0.9, 0.9, color=cmap(n), alpha=0.35 + 0.6 * t / max(1, time - 1)))
        ax.text(x + 0.45, y + 0.45, f"clip {n}\nt={t}", ha="center", va="center", fontsize=8)

    for n in range(batch):
        for t in range(time):
            box(left, t, batch - 1 - n, n, t)
    left.set_xlim(-0.1, time)
    left.set_ylim(-0.1, batch)
    left.set_title(f"clips: N×C×T×H×W = {batch}×C×{time}×H×W", fontsize=9)
    for b in range(batch * time):
        n, t = divmod(b, time)
        box(right, b, 0, n, t)
        right.text(b + 0.45, -0.25, f"[{b}]", ha="center", fontsize=8)
    right.set_xlim(-0.1, batch * time)
    right.set_ylim(-0.5, 1)
    right.set_title(f"frames: (N·T)×C×H×W = {batch * time}×C×H×W, index n·T + t", fontsize=9)
    for ax in (left, right):
        ax.set_aspect("equal")
        ax.axis("off")
    fig.tight_layout()
    return fig


# --- The Mixed Convolutional Tube --------------------------------------------------------------------

def _activation_map(tensor: torch.Tensor, t: int) -> np.ndarray:
    """What a feature map shows at step t: the mean over channels of its first clip."""
    return tensor[0, :, t].float().mean(dim=0).numpy()


def plot_tube_branches(clip: torch.Tensor, branches: dict[str, torch.Tensor], frame_step: int = 2,
                       steps: int = 8, title: str = "") -> plt.Figure:
    """The frames a tube's 2D branch sees, then its 3D branch, 2D branch and their sum, step by step.

    Maps are channel means, one colour scale per row. `frame_step` is how many input frames one
    step of the tube spans (2 for the stem).
    """
    steps = min(steps, branches["sum"].shape[2])
    fig, axes = plt.subplots(4, steps, figsize=(1.45 * steps + 1.2, 6.4), squeeze=False)
    frames = clip[0].permute(1, 2, 3, 0)  # T×H×W×C
    shown = (frames - frames.amin()) / (frames.amax() - frames.amin())
    for t in range(steps):
        axes[0, t].imshow(shown[min(t * frame_step, len(shown) - 1)].numpy())
        axes[0, t].set_title(f"frame {t * frame_step}", fontsize=8)
    for r, name in enumerate(("3D", "2D", "sum"), start=1):
        maps = [_activation_map(branches[name], t) for t in range(steps)]
        low, high = min(m.min() for m in maps), max(m.max() for m in maps)
        for t, activation in enumerate(maps):
            axes[r, t].imshow(activation, cmap="magma", vmin=low, vmax=high)
            axes[r, t].set_title(f"step {t}", fontsize=8, color=BRANCH_COLOURS[name])
        shape = "×".join(str(s) for s in branches[name].shape)
        axes[r, 0].set_ylabel(f"{name}\n{shape}", fontsize=8, color=BRANCH_COLOURS[name])
    axes[0, 0].set_ylabel("2D branch's\nframes", fontsize=8)
    for ax in axes.flat:
        _blank(ax)
    fig.suptitle(title or "a Mixed Convolutional Tube: 3D branch + 2D branch = what the next stage sees",
                 fontsize=10)
    fig.tight_layout()
    return fig


def plot_time_alignment(frames: int = 7, kernel: int = 3, stride: int = 2) -> plt.Figure:
    """Which frames each output step of a tube sees, with time zero-padded at the end only.

    The 2D branch takes frames 0, s, 2s, …; 3D step t sees frames t·s … t·s+k−1. Both have
    ceil(T/s) steps, and step t of both starts at the same frame.
    """
    steps = math.ceil(frames / stride)
    padded = (steps - 1) * stride + kernel  # frames the last 3D step reaches
    fig, ax = plt.subplots(figsize=(0.75 * max(padded, frames) + 2.5, 0.55 * steps + 1.9))
    for f in range(max(padded, frames + kernel - 1)):
        inside = f < frames
        ax.add_patch(Rectangle((f, steps + 0.2), 0.9, 0.7, facecolor="0.85" if inside else "white",
                               edgecolor="0.4", hatch=None if inside else "//"))
        ax.text(f + 0.45, steps + 0.55, str(f) if inside else "0", ha="center", va="center", fontsize=8)
    for t in range(steps):
        y = steps - 1 - t
        start = t * stride
        ax.add_patch(Rectangle((start, y + 0.15), kernel - 0.1, 0.6, color=BRANCH_COLOURS["3D"], alpha=0.55))
        ax.plot(start + 0.45, y + 0.45, "o", color=BRANCH_COLOURS["2D"], markersize=9)
        ax.text(-0.3, y + 0.45, f"step {t}", ha="right", va="center", fontsize=8)
    ax.text(-0.3, steps + 0.55, "frames", ha="right", va="center", fontsize=8)
    ax.set_xlim(-1.6, max(padded, frames + kernel - 1) + 0.2)
    ax.set_ylim(-0.2, steps + 1.1)
    ax.axis("off")
    ax.set_title(f"T={frames} frames, 3D kernel {kernel} in time, stride {stride}: ceil({frames}/{stride}) = "
                 f"{steps} steps in both branches\n● 2D branch's frame   ▬ 3D branch's window   "
                 f"hatched: zero padding, at the end only", fontsize=9)
    fig.tight_layout()
    return fig


# --- Shapes through the network ----------------------------------------------------------------------

LINE_STYLES = (("-", "o", 7), ("-", "s", 5), ("--", "^", 9), (":", "D", 5))


def plot_temporal_lengths(lengths: pd.DataFrame) -> plt.Figure:
    """Time steps after each stage: `lengths` has columns model, frames, layer, time."""
    clip_lengths = sorted(lengths["frames"].unique())
    fig, axes = plt.subplots(1, len(clip_lengths), figsize=(5.2 * len(clip_lengths), 3.6), squeeze=False)
    for ax, frames in zip(axes[0], clip_lengths, strict=True):
        shown = lengths[lengths["frames"] == frames]
        labelled = set()
        for i, (model, rows) in enumerate(shown.groupby("model", sort=False)):
            x = [STAGE_ORDER.index(layer) for layer in rows["layer"]]
            line, marker, size = LINE_STYLES[i % len(LINE_STYLES)]
            ax.plot(x, rows["time"], linestyle=line, marker=marker, markersize=size, label=model,
                    color=plt.get_cmap("tab10")(i), alpha=0.8)
            for xi, ti in zip(x, rows["time"], strict=True):
                if (xi, ti) not in labelled:  # lines that coincide get one label
                    labelled.add((xi, ti))
                    ax.annotate(str(ti), (xi, ti), textcoords="offset points", xytext=(5, 4), fontsize=7)
        ax.set_yscale("log", base=2)
        ax.set_xticks(range(len(STAGE_ORDER)), STAGE_ORDER)
        ax.set_ylabel("time steps T")
        ax.set_title(f"a {frames}-frame clip", fontsize=10)
        ax.grid(alpha=0.3)
    axes[0, -1].legend(fontsize=8, loc="lower left")
    fig.suptitle("temporal length after each stage: ceil(T / total stride so far)", fontsize=10)
    fig.tight_layout()
    return fig


# --- Costs ------------------------------------------------------------------------------------------

def _barh(ax: plt.Axes, labels, values, colour, title: str, fmt: str = "{:.1f}") -> None:
    y = np.arange(len(labels))
    ax.barh(y, values, color=colour)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    for yi, v in zip(y, values, strict=True):
        if np.isfinite(v):
            ax.text(v, yi, " " + fmt.format(v), va="center", fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.margins(x=0.3)


def plot_model_costs(table: pd.DataFrame) -> plt.Figure:
    """Parameters, GFLOPs and measured CPU frames/s per model, and the original's Titan RTX fps.

    `table` is `benchmark_models`' with a column `reported_fps` (NaN where not reported).
    """
    labels = list(table["model"])
    fig, axes = plt.subplots(1, 4, figsize=(15, 0.42 * len(labels) + 1.6), sharey=True)
    _barh(axes[0], labels, table["params"] / 1e6, "tab:gray", "parameters (millions)")
    _barh(axes[1], labels, table["gflops_per_clip"], "tab:red", "GFLOPs per 16×160×160 clip")
    _barh(axes[2], labels, table["frames_per_s"], "tab:green",
          f"frames/s, CPU batch 1 ({int(table['threads'].iloc[0])} threads), measured")
    _barh(axes[3], labels, table["reported_fps"], "tab:olive", "frames/s reported (Titan RTX)", "{:.0f}")
    fig.suptitle("costs at the original's test input 1×3×16×160×160 — CPU timings are measured on this "
                 "machine and vary from run to run", fontsize=10)
    fig.tight_layout()
    return fig


def plot_kernel_costs(table: pd.DataFrame) -> plt.Figure:
    """MiCT-ResNet-18's costs against the first 3D kernel's temporal size (columns as in
    `plot_model_costs`, plus `first_kernel`)."""
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.0))
    x = table["first_kernel"].astype(str)
    panels = [(table["params"] / 1e6, "parameters (millions)", table["params"].map("{:,}".format), "tab:gray"),
              (table["gflops_per_clip"], "GFLOPs per 16×160×160 clip", "{:.1f}", "tab:red"),
              (table["frames_per_s"], "CPU frames/s, measured", "{:.0f}", "tab:green"),
              (table["reported_fps"], "frames/s reported (Titan RTX)", "{:.0f}", "tab:olive")]
    for ax, (values, title, labels, colour) in zip(axes, panels, strict=True):
        ax.bar(x, values, color=colour)
        labels = values.map(labels.format) if isinstance(labels, str) else labels
        for xi, v, label in zip(x, values, labels, strict=True):
            ax.text(xi, v, label, ha="center", va="bottom", fontsize=8)
        ax.set_ylim(0, values.max() * 1.12)
        ax.set_xlabel("first 3D kernel: k×7×7")
        ax.set_title(title, fontsize=9)
    fig.suptitle("MiCT-ResNet-18: the first kernel's size (CPU timings measured, they vary from run to run)",
                 fontsize=10)
    fig.tight_layout()
    return fig


# --- ImageNet inflation ------------------------------------------------------------------------------

def plot_inflation_gap(gaps: pd.DataFrame, source: str) -> plt.Figure:
    """|inflated 3D − 2D| / max|2D| per time step and stage, on a clip of identical frames,
    coloured by whether the zero padding of time reaches the step (`inflation_gap`'s table)."""
    stages = list(gaps["stage"].unique())
    fig, axes = plt.subplots(1, len(stages), figsize=(3.2 * len(stages), 3.0), squeeze=False)
    for ax, stage in zip(axes[0], stages, strict=True):
        rows = gaps[gaps["stage"] == stage]
        colours = ["tab:orange" if reached else "tab:green" for reached in rows["padding_reaches"]]
        ax.bar(rows["step"], rows["relative_gap"].clip(lower=1e-9), color=colours, width=0.8)
        ax.set_yscale("log")
        ax.set_ylim(1e-9, 10)
        ax.set_xlabel("time step")
        clean = int((~rows["padding_reaches"]).sum())
        ax.set_title(f"{stage}: {clean} of {len(rows)} steps out of the padding's reach", fontsize=8)
    axes[0, 0].set_ylabel("|3D − 2D| / max |2D|")
    fig.suptitle(f"inflated 3D-ResNet-18 on {gaps.attrs.get('frames', 'many')} identical frames vs the 2D "
                 f"ResNet-18 on one ({source}). Green: the zero padding of time cannot reach the step; "
                 f"orange: it can", fontsize=9)
    fig.tight_layout()
    return fig


# --- The widget's view -------------------------------------------------------------------------------

def plot_architecture_view(trace: pd.DataFrame, title: str) -> plt.Figure:
    """A shape trace as a table, beside the time steps each layer's output keeps."""
    fig, (table_ax, bars) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1.45, 1]})
    cells = trace[["layer", "branch", "what", "shape"]].values.tolist()
    table = table_ax.table(cellText=cells, colLabels=["layer", "branch", "what", "N×C×T×H×W"], loc="center",
                           cellLoc="left", colWidths=[0.11, 0.09, 0.52, 0.28])
    table.auto_set_font_size(False)
    table.set_fontsize(7.5)
    table.scale(1, 1.15)
    for (r, _), cell in table.get_celld().items():
        if r > 0:
            cell.set_facecolor(BRANCH_COLOURS.get(cells[r - 1][1], "white") if cells[r - 1][1] else "white")
            cell.set_alpha(0.25)
    table_ax.axis("off")
    y = np.arange(len(trace))
    bars.barh(y, trace["time"], color=[BRANCH_COLOURS.get(b, "0.6") for b in trace["branch"]])
    bars.set_yticks(y, [f"{la} {br}".strip() for la, br in zip(trace["layer"], trace["branch"], strict=True)],
                    fontsize=7.5)
    bars.invert_yaxis()
    for yi, t in zip(y, trace["time"], strict=True):
        bars.text(t, yi, f" {t}", va="center", fontsize=7.5)
    bars.set_xlabel("time steps T")
    bars.margins(x=0.15)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
