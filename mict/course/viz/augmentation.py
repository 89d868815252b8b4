"""Figures for notebook 02: which frames make a clip, and what augmentation does to them.

Clips are uint8 (or float in [0, 1]) T×C×H×W tensors, as `read_frames` and
`TrainTransform.steps` give them. The helpers that are not figures (a fixed temporal
sample, per-frame augmentation, frame-to-frame change) exist to show something the
library deliberately does not do, or does at random.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
import torchvision.transforms.v2.functional as TF
from matplotlib.patches import Rectangle

from mict.data.augment import (
    CROP_POSITIONS,
    ClipAugmentation,
    EvalTransform,
    TrainTransform,
    crop_box,
    denormalize,
    resize_to_base,
)
from mict.data.sampling import TemporalSample

COLOURS = plt.get_cmap("tab10").colors
POSITION_COLOURS = dict(zip(CROP_POSITIONS, COLOURS, strict=False))


# --- Helpers -------------------------------------------------------------------------------------

def fixed_sample(n_frames: int, length: int, step: int, start: int = 0) -> TemporalSample:
    """The training sample for a chosen step and start (`sample_training_frames` draws both).

    `start` counts frames of the down-sampled sequence and is clamped to the last start
    from which `length` frames fit, as the random draw is; a sequence shorter than
    `length` is looped.
    """
    sequence = list(range(0, n_frames, step))
    start = min(max(0, start), max(0, len(sequence) - length))
    chosen = sequence[start : start + length]
    indices = tuple(chosen[i % len(chosen)] for i in range(length))
    return TemporalSample(indices, step, chosen[0], len(chosen) < length)


def example_videos(manifest: pd.DataFrame) -> pd.DataFrame:
    """The first video of each class and the shortest video of all (the one that loops first)."""
    firsts = manifest.sort_values("video").groupby("label", sort=True).head(1)
    shortest = manifest.loc[[manifest["n_frames"].idxmin()]]
    return pd.concat([firsts, shortest]).drop_duplicates("video").reset_index(drop=True)


def center_crop_box(height: int, width: int, crop_size: int) -> tuple[int, int, int, int]:
    """(top, left, height, width) of torchvision's centre crop (it rounds half offsets to even)."""
    return (int(round((height - crop_size) / 2)), int(round((width - crop_size) / 2)), crop_size, crop_size)


def augment_per_frame(transform: TrainTransform, clip: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """What the library does NOT do: a fresh draw for every frame (T×C×H×W in [0, 1])."""
    height, width = resize_to_base(clip[:1], transform.base_size).shape[-2:]
    frames = [transform.apply(frame[None], transform.draw(generator, height, width), normalized=False)
              for frame in clip]
    return torch.cat(frames)


def per_frame_mismatch(transform: TrainTransform, clip: torch.Tensor, params: ClipAugmentation) -> float:
    """Largest pixel difference between augmenting the clip at once and augmenting each frame alone."""
    whole = transform.apply(clip, params, normalized=False)
    alone = torch.cat([transform.apply(frame[None], params, normalized=False) for frame in clip])
    return float((whole - alone).abs().max())


def frame_to_frame_change(clip: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between consecutive frames, on a 0–1 scale: (T−1,)."""
    clip = clip.float() / 255 if clip.dtype == torch.uint8 else clip
    return (clip[1:] - clip[:-1]).abs().flatten(1).mean(1)


def as_image(frame: torch.Tensor) -> np.ndarray:
    """C×H×W uint8 or float in [0, 1] → H×W×C for imshow."""
    frame = frame.float() / 255 if frame.dtype == torch.uint8 else frame.clamp(0, 1)
    return frame.permute(1, 2, 0).numpy()


def show_frame(ax: plt.Axes, frame: torch.Tensor, title: str | None = None, size: tuple[int, int] | None = None):
    """One frame; with `size` (height, width), on a canvas that large, so that sizes compare."""
    ax.imshow(as_image(frame), interpolation="nearest")
    if size is not None:
        ax.set_xlim(-0.5, size[1] - 0.5)
        ax.set_ylim(size[0] - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=8)


def draw_box(ax: plt.Axes, box: tuple[int, int, int, int], colour, label: str | None = None, width: float = 1.5):
    top, left, height, crop_width = box
    ax.add_patch(Rectangle((left - 0.5, top - 0.5), crop_width, height, fill=False, edgecolor=colour,
                           linewidth=width, label=label, clip_on=False))


# --- Temporal sampling -----------------------------------------------------------------------------

def plot_timeline(ax: plt.Axes, n_frames: int, samples: list[TemporalSample], title: str, legend: bool = True):
    """Clips as staircases over the video's timeline: video frame (x) against clip frame (y).

    The strip at the bottom is the video, one dot per frame, coloured where a clip takes it.
    The slope of a staircase is 1/step, its x-offset the start, and a dotted jump back to the
    left a loop.
    """
    length = max(len(s) for s in samples)
    ax.axhspan(-3, -1, color="0.93", zorder=0)
    ax.scatter(range(n_frames), [-2] * n_frames, s=3, color="0.6", zorder=1)
    for i, sample in enumerate(samples):
        colour = COLOURS[i % len(COLOURS)]
        label = f"step {sample.step}, start {sample.start}" + (", looped" if sample.looped else "")
        loops = [t for t in range(1, len(sample)) if sample.indices[t] < sample.indices[t - 1]]
        for begin, end in zip([0, *loops], [*loops, len(sample)], strict=True):
            ax.plot(sample.indices[begin:end], range(begin, end), "-o", color=colour, markersize=3, linewidth=1,
                    label=label if begin == 0 else None)
        for t in loops:
            ax.plot(sample.indices[t - 1 : t + 1], (t - 1, t), ":", color=colour, linewidth=1)
        ax.scatter(sample.indices, [-2] * len(sample), s=14, color=colour, zorder=2)
    ax.set_xlim(-1, n_frames)
    ax.set_ylim(-3.5, length + 0.5)
    ticks = list(range(0, length, 5))
    ax.set_yticks([-2, *ticks], ["video", *map(str, ticks)])
    ax.set_xlabel(f"frame of the video (0 … {n_frames - 1})", fontsize=8)
    ax.set_ylabel("frame of the clip", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=9)
    if legend:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def plot_temporal_sampling(panels: list[tuple[str, int, list[TemporalSample]]], columns: int = 2) -> plt.Figure:
    """One timeline per (title, n_frames, samples) panel."""
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(6.4 * columns, 2.6 * rows), squeeze=False)
    for ax, (title, n_frames, samples) in zip(axes.flat, panels, strict=False):
        plot_timeline(ax, n_frames, samples, title)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def plot_filmstrips(rows: list[tuple[str, torch.Tensor]], frames: int = 8) -> plt.Figure:
    """Clips one per row, `frames` of their frames evenly spaced, with the frame numbers."""
    length = max(len(clip) for _, clip in rows)
    shown = np.linspace(0, length - 1, min(frames, length)).round().astype(int)
    fig, axes = plt.subplots(len(rows), len(shown), figsize=(1.25 * len(shown) + 1.6, 1.15 * len(rows)),
                             squeeze=False)
    for i, ((name, clip), row) in enumerate(zip(rows, axes, strict=True)):
        for ax, t in zip(row, shown, strict=True):
            show_frame(ax, clip[min(t, len(clip) - 1)], f"t={t}" if i == 0 else None)
        row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    fig.tight_layout()
    return fig


# --- Spatial augmentation ------------------------------------------------------------------------------

def plot_augmentation_steps(steps: list[tuple[str, torch.Tensor]], params: ClipAugmentation,
                            frames: tuple[int, ...] = (0, -1)) -> plt.Figure:
    """Each intermediate of `TrainTransform.steps` (columns) for a few frames of the clip (rows).

    Every panel is drawn at the same pixel scale, so that the sizes compare, and the crop
    box is drawn on the frame it is taken from.
    """
    size = (max(c.shape[-2] for _, c in steps), max(c.shape[-1] for _, c in steps))
    crop_at = next(i for i, (name, _) in enumerate(steps) if " crop " in name) - 1
    fig, axes = plt.subplots(len(frames), len(steps), figsize=(1.75 * len(steps), 1.6 * len(frames) + 0.3),
                             squeeze=False)
    for i, (row, t) in enumerate(zip(axes, frames, strict=True)):
        for j, (ax, (name, clip)) in enumerate(zip(row, steps, strict=True)):
            height, width = clip.shape[-2:]
            show_frame(ax, clip[t], f"{name}\n{width}×{height}" if i == 0 else None, size)
            if j == crop_at:
                draw_box(ax, params.box, POSITION_COLOURS[params.position])
        row[0].set_ylabel(f"frame {t % len(steps[0][1])}", fontsize=8)
    fig.tight_layout()
    return fig


POSITION_MARKS = {"center": "C", "top_left": "TL", "top_right": "TR", "bottom_left": "BL", "bottom_right": "BR"}


def plot_crop_shapes(ax: plt.Axes, transform: TrainTransform):
    """Every (width, height) a crop can have: the sides are drawn independently, so most crops
    are not square and resizing them to a square stretches the picture."""
    sides = transform.crop_sides
    pairs = [(w, h) for w in sides for h in sides]
    ax.scatter([w for w, h in pairs], [h for w, h in pairs], s=22,
               c=["tab:blue" if w == h else "tab:orange" for w, h in pairs])
    margin = (max(sides) - min(sides)) * 0.15 + 2
    ax.set_xlim(min(sides) - margin, max(sides) + margin)
    ax.set_ylim(min(sides) - margin, max(sides) + margin)
    ax.set_aspect("equal")
    ax.set_xlabel("crop width (px)", fontsize=7)
    ax.set_ylabel("crop height (px)", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.set_title(f"{len(pairs)} crop shapes (blue: square)\nw/h from {min(sides) / max(sides):.2f} to "
                 f"{max(sides) / min(sides):.2f}", fontsize=8)


def plot_crop_positions(frame: torch.Tensor, transforms: dict[str, TrainTransform], generator: torch.Generator,
                        draws: int = 4) -> plt.Figure:
    """Per profile (rows): the five positions of its smallest crop, every crop shape, and a few
    random crops resized to the crop size (framed in their position's colour)."""
    fig, axes = plt.subplots(len(transforms), 2 + draws, figsize=(2.3 * (2 + draws), 2.5 * len(transforms)),
                             squeeze=False)
    for row, (name, transform) in zip(axes, transforms.items(), strict=True):
        base = resize_to_base(frame[None], transform.base_size)[0]
        height, width = base.shape[-2:]
        side = min(transform.crop_sides)
        show_frame(row[0], base, f"{name}: base {width}×{height}\nfive positions of a {side}×{side} crop")
        for position in CROP_POSITIONS:
            top, left, crop_height, crop_width = box = crop_box(position, side, side, height, width)
            draw_box(row[0], box, POSITION_COLOURS[position], width=1.2)
            row[0].text(left + crop_width / 2, top + crop_height / 2, POSITION_MARKS[position], fontsize=7,
                        color=POSITION_COLOURS[position], fontweight="bold", ha="center", va="center")
        plot_crop_shapes(row[1], transform)
        for ax in row[2:]:
            params = transform.draw(generator, height, width)
            top, left, crop_height, crop_width = params.box
            crop = TF.resized_crop(base, top, left, crop_height, crop_width, [transform.crop_size] * 2, antialias=True)
            show_frame(ax, crop, f"{params.position} {crop_width}×{crop_height}\n→ {transform.crop_size}×"
                                 f"{transform.crop_size}")
            for spine in ax.spines.values():
                spine.set_visible(True)
                spine.set_edgecolor(POSITION_COLOURS[params.position])
                spine.set_linewidth(2)
    fig.tight_layout()
    return fig


def plot_colour_jitter(frame: torch.Tensor, jitters: dict[str, float],
                       factors: tuple[float, ...] = (0.5, 0.7, 1.0, 1.3, 1.5)) -> plt.Figure:
    """Saturation, brightness and contrast (rows) at a few factors (columns); each title says
    which profiles can draw that factor (a jitter j draws factors from [1 − j, 1 + j])."""
    frame = frame.float() / 255 if frame.dtype == torch.uint8 else frame
    adjust = {"saturation": TF.adjust_saturation, "brightness": TF.adjust_brightness,
              "contrast": TF.adjust_contrast}
    fig, axes = plt.subplots(3, len(factors), figsize=(1.7 * len(factors) + 0.8, 4.6), squeeze=False)
    for row, (name, function) in zip(axes, adjust.items(), strict=True):
        for ax, factor in zip(row, factors, strict=True):
            reached = [p for p, j in jitters.items() if abs(factor - 1) <= j + 1e-9]
            show_frame(ax, function(frame, factor), f"×{factor:g}: " + (" & ".join(reached) or "no profile"))
        row[0].set_ylabel(name, fontsize=9)
    fig.tight_layout()
    return fig


def plot_consistent_vs_per_frame(rows: dict[str, torch.Tensor], frames: int = 6) -> plt.Figure:
    """Augmented clips (rows) and, on the right, how much each frame differs from the one before:
    motion that per-frame augmentation invents."""
    length = max(len(c) for c in rows.values())
    shown = np.linspace(0, length - 1, frames).round().astype(int)
    fig = plt.figure(figsize=(1.1 * frames + 6, 1.1 * len(rows) + 0.6), layout="constrained")
    strips, right = fig.subfigures(1, 2, width_ratios=(1.1 * frames + 1.5, 4.5))
    axes = strips.subplots(len(rows), frames, squeeze=False)
    curve = right.subplots()
    for i, (name, clip) in enumerate(rows.items()):
        for ax, t in zip(axes[i], shown, strict=True):
            show_frame(ax, clip[t], f"t={t}" if i == 0 else None)
        axes[i, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
        curve.plot(range(1, len(clip)), frame_to_frame_change(clip), "-o", markersize=3, color=COLOURS[i],
                   label=name.replace("\n", " "))
    curve.set_xlabel("frame t", fontsize=8)
    curve.set_ylabel("mean |frame t − frame t−1|", fontsize=8)
    curve.tick_params(labelsize=7)
    curve.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    curve.set_title("change between consecutive frames", fontsize=9)
    return fig


# --- Test-time preprocessing -----------------------------------------------------------------------------

def plot_test_preprocessing(frame: torch.Tensor, transforms: dict[str, EvalTransform]) -> plt.Figure:
    """Per profile (rows): the frame, resized to the base height with the centre crop's box,
    the crop the network sees, and its pixel values after ImageNet normalisation."""
    fig, axes = plt.subplots(len(transforms), 4, figsize=(12, 2.6 * len(transforms)), squeeze=False)
    for row, (name, transform) in zip(axes, transforms.items(), strict=True):
        base = resize_to_base(frame[None], transform.base_size)[0]
        height, width = base.shape[-2:]
        normalized = transform.apply(frame[None])  # C×1×H×W
        size = (max(height, frame.shape[-2]), max(width, frame.shape[-1]))  # one pixel scale per row
        show_frame(row[0], frame, f"{name}: input {frame.shape[-1]}×{frame.shape[-2]}", size)
        show_frame(row[1], base, f"resized to base height: {width}×{height}", size)
        draw_box(row[1], center_crop_box(height, width, transform.crop_size), COLOURS[0])
        show_frame(row[2], denormalize(normalized)[0], f"centre crop {transform.crop_size}×{transform.crop_size}",
                   size)
        for channel, colour in zip(range(3), ("tab:red", "tab:green", "tab:blue"), strict=True):
            values = normalized[channel].flatten().numpy()
            row[3].hist(values, bins=40, histtype="step", color=colour,
                        label=f"{'RGB'[channel]}: mean {values.mean():+.2f}, std {values.std():.2f}")
        row[3].set_title("normalised: (x − ImageNet mean) / std", fontsize=8)
        row[3].tick_params(labelsize=7)
        row[3].legend(fontsize=6, frameon=False)
    fig.tight_layout()
    return fig


# --- The widget's view ------------------------------------------------------------------------------------

def plot_clip_view(n_frames: int, sample: TemporalSample, base_frame: torch.Tensor, params: ClipAugmentation,
                   augmented: torch.Tensor, frames: int = 8) -> plt.Figure:
    """One sampled and augmented clip: its timeline, the crop on its first (base-size) frame,
    and `frames` of its augmented frames."""
    fig = plt.figure(figsize=(11, 5), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=(1.6, 1))
    timeline, frame = top.subplots(1, 2, width_ratios=(2.4, 1))
    looped = ", looped" if sample.looped else ""
    plot_timeline(timeline, n_frames, [sample], f"which frames: step {sample.step}, start {sample.start}{looped}",
                  legend=False)
    height, width = params.box[2:]
    show_frame(frame, base_frame, f"{'flipped, ' if params.flip else ''}{params.position} crop {width}×{height}")
    draw_box(frame, params.box, POSITION_COLOURS[params.position], width=2)
    shown = np.linspace(0, len(augmented) - 1, frames).round().astype(int)
    for ax, t in zip(bottom.subplots(1, frames), shown, strict=True):
        show_frame(ax, augmented[t], f"t={t} (frame {sample.indices[t]})")
    bottom.suptitle(f"the augmented clip: saturation ×{params.saturation:.2f}, brightness ×{params.brightness:.2f}, "
                    f"contrast ×{params.contrast:.2f}", fontsize=9)
    return fig
