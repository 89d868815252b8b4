"""Notebook 02's library code: its figures, helpers, widget and exercise checks."""

import io

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import torch
import torchvision.transforms.v2.functional as TF
from PIL import Image

from mict.config import make_config
from mict.course.exercises import ExerciseFailed
from mict.course.exercises.augmentation import (
    check_crop_box,
    check_loop_to_length,
    check_test_time_crop,
    reference_test_time_crop,
)
from mict.course.viz import augmentation as viz
from mict.course.viz import save_figure
from mict.course.widgets.augmentation import AugmentationWidget
from mict.data import EvalTransform, TrainTransform, first_frames, sample_training_frames, uniform_clips
from mict.data.augment import crop_box


def _moving_clip(frames=16, height=72, width=96) -> torch.Tensor:
    """A bright square moving right on a fixed noisy background: uint8 T×3×H×W."""
    generator = torch.Generator().manual_seed(0)
    background = torch.randint(0, 120, (3, height, width), dtype=torch.uint8, generator=generator)
    clip = background.expand(frames, -1, -1, -1).clone()
    for t in range(frames):
        clip[t, :, 20:36, 4 + 3 * t : 20 + 3 * t] = 250
    return clip


@pytest.fixture
def tiny_videos(tmp_path):
    """Two prepared videos (JPEG frames, as `mict prepare` writes them) and their manifest rows."""
    rows = []
    for name, n_frames in (("A/v_A_g01_c01", 24), ("B/v_B_g01_c01", 9)):
        folder = tmp_path / "frames" / name
        folder.mkdir(parents=True)
        for i, frame in enumerate(_moving_clip(n_frames)):
            Image.fromarray(frame.permute(1, 2, 0).numpy()).save(folder / f"{i + 1:05d}.jpg", quality=95)
        rows.append({"video": name, "frames_dir": f"frames/{name}", "n_frames": n_frames, "label": len(rows)})
    return tmp_path, pd.DataFrame(rows)


# --- Helpers -------------------------------------------------------------------------------------

def test_fixed_sample_matches_what_the_random_draw_can_give():
    generator = torch.Generator().manual_seed(0)
    for _ in range(50):
        drawn = sample_training_frames(70, 16, generator, max_step=4)
        start = drawn.indices[0] // drawn.step
        assert viz.fixed_sample(70, 16, drawn.step, start) == drawn


def test_fixed_sample_clamps_the_start_and_loops_short_videos():
    assert viz.fixed_sample(40, 16, 1, 100).indices == tuple(range(24, 40))
    looped = viz.fixed_sample(40, 16, 4, 3)
    assert looped.looped and looped.start == 0
    assert looped.indices == (0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 0, 4, 8, 12, 16, 20)


def test_example_videos_takes_one_per_class_and_the_shortest():
    manifest = pd.DataFrame({"video": ["a1", "a2", "b1", "b2"], "label": [0, 0, 1, 1], "n_frames": [50, 60, 70, 30]})
    assert list(viz.example_videos(manifest)["video"]) == ["a1", "b1", "b2"]


def test_center_crop_box_is_torchvisions():
    for height, width, crop in ((72, 96, 64), (192, 339, 160), (75, 101, 64)):
        image = torch.arange(height * width).reshape(1, height, width)
        top, left, h, w = viz.center_crop_box(height, width, crop)
        assert torch.equal(TF.center_crop(image, [crop, crop]), image[:, top : top + h, left : left + w])


def test_one_draw_per_clip_keeps_a_static_clip_static_and_per_frame_draws_do_not():
    transform = TrainTransform(64, 72, hflip=False, scales=(160, 176, 192), colour_jitter=0.3)
    clip = _moving_clip()
    static = clip[:1].expand(16, -1, -1, -1).contiguous()
    params = transform.draw(torch.Generator().manual_seed(1), 72, 96)
    assert viz.frame_to_frame_change(transform.apply(static, params, normalized=False)).max() == 0
    assert viz.per_frame_mismatch(transform, clip, params) == 0
    per_frame = viz.augment_per_frame(transform, static, torch.Generator().manual_seed(2))
    assert per_frame.shape == (16, 3, 64, 64) and viz.frame_to_frame_change(per_frame).min() > 0


# --- Figures -------------------------------------------------------------------------------------------

def _png(fig, tmp_path, name) -> bytes:
    path = save_figure(fig, name, tmp_path)
    plt.close(fig)
    return path.read_bytes()


def test_figures_draw_and_are_reproducible(tmp_path):
    clip = _moving_clip()
    quick, full = make_config("quick"), make_config("full")
    transforms = {name: TrainTransform(c.crop_size, c.base_size, hflip=c.hflip, scales=c.crop_scales,
                                       colour_jitter=c.colour_jitter) for name, c in (("quick", quick), ("full", full))}
    train = transforms["quick"]

    def figures(seed):
        generator = torch.Generator().manual_seed(seed)
        params = train.draw(generator, 72, 96)
        panels = [("train", 40, [sample_training_frames(40, 16, generator, 4) for _ in range(3)]),
                  ("first", 40, [first_frames(40, 16)]), ("uniform", 40, uniform_clips(40, 16, 3))]
        yield "timeline", viz.plot_temporal_sampling(panels)
        yield "strips", viz.plot_filmstrips([("a", clip), ("b", clip.flip(-1))])
        yield "steps", viz.plot_augmentation_steps(train.steps(clip, params), params)
        yield "crops", viz.plot_crop_positions(clip[0], transforms, generator)
        yield "colour", viz.plot_colour_jitter(clip[0], {"quick": 0.3, "full": 0.5})
        yield "consistent", viz.plot_consistent_vs_per_frame(
            {"one draw": train.apply(clip, params, normalized=False),
             "per frame": viz.augment_per_frame(train, clip, generator)})
        yield "test", viz.plot_test_preprocessing(clip[0], {"quick": EvalTransform(64, 72),
                                                            "full": EvalTransform(160, 192)})

    first = {name: _png(fig, tmp_path / "a", name) for name, fig in figures(0)}
    second = {name: _png(fig, tmp_path / "b", name) for name, fig in figures(0)}
    assert first == second
    assert all(png.startswith(b"\x89PNG") for png in first.values())


def test_timeline_marks_a_loop_with_a_jump_back():
    fig, ax = plt.subplots()
    viz.plot_timeline(ax, 40, [viz.fixed_sample(40, 16, 4)], "looped")
    dotted = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert len(dotted) == 1 and list(dotted[0].get_xdata()) == [36, 0]
    plt.close(fig)


# --- Widget ---------------------------------------------------------------------------------------------

def _pixels(fig) -> bytes:
    """The rendered image (also of a figure the widget has already closed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="rgba")
    return buffer.getvalue()


def test_widget_redraws_when_a_control_changes(tiny_videos):
    root, videos = tiny_videos
    widget = AugmentationWidget(root, videos, make_config("quick", data=str(root)))
    assert set(widget.controls) == {"video", "step", "start", "position", "crop_width", "crop_height",
                                    "saturation", "brightness", "contrast", "flip"}
    before = _pixels(widget.update())
    values = dict(widget.last_values)

    widget.controls["step"].value = 3  # observed: the widget redraws by itself
    assert widget.last_values == {**values, "step": 3}
    after = _pixels(widget.last_figure)
    assert before != after

    widget.controls["video"].value = "B/v_B_g01_c01"  # 9 frames at step 3: 3 frames, looped
    assert widget.last_values["video"] == "B/v_B_g01_c01"
    assert "looped" in widget.last_figure.axes[0].get_title()


def test_widget_default_render_uses_the_profile_sizes(tiny_videos):
    root, videos = tiny_videos
    widget = AugmentationWidget(root, videos, make_config("quick", data=str(root)))
    fig = widget.render_default()
    assert widget.controls["crop_width"].options == (45, 50, 54)
    assert fig.axes[1].get_title() == "center crop 54×54"
    assert widget.last_values is None  # render_default does not touch the widget
    plt.close(fig)


def test_widget_applies_the_chosen_augmentation(tiny_videos):
    root, videos = tiny_videos
    widget = AugmentationWidget(root, videos, make_config("quick", data=str(root)))
    params = widget.augmentation(72, 96, position="top_right", crop_width=60, crop_height=66, saturation=1.0,
                                 brightness=0.5, contrast=1.0, flip=True)
    assert params.box == (0, 36, 66, 60) and params.flip and params.brightness == 0.5


# --- Exercise checks ----------------------------------------------------------------------------------

def test_checks_accept_right_answers_and_report_unfinished_ones():
    assert check_loop_to_length(lambda indices, length: [indices[i % len(indices)] for i in range(length)],
                                strict=True).passed
    assert check_crop_box(crop_box, strict=True).passed
    assert check_test_time_crop(reference_test_time_crop, strict=True).passed
    unfinished = check_loop_to_length(lambda indices, length: None)
    assert not unfinished.attempted and "not attempted" in str(unfinished)


def test_checks_say_what_is_wrong():
    with pytest.raises(ExerciseFailed, match="expected"):
        check_loop_to_length(lambda indices, length: list(indices) + [0] * (length - len(indices)), strict=True)
    with pytest.raises(ExerciseFailed, match="bottom_right"):
        check_crop_box(lambda position, ch, cw, h, w: (0, 0, ch, cw), strict=True)
    result = check_test_time_crop(lambda w, h, base, crop: ((w, h), (0, 0, crop, crop)))
    assert result.attempted and not result.passed


def test_the_test_time_crop_of_a_320_by_240_frame():
    assert reference_test_time_crop(320, 240, 192, 160) == ((256, 192), (16, 48, 160, 160))
