"""The synthetic motion dataset: UCF-101's layout, motions that define the classes, determinism."""

import hashlib

import numpy as np
import pytest

from mict.data import MOTION_CLASSES, SplitLists, SynthConfig, generate_dataset
from mict.data.synth import (
    CATALOGUE,
    GLIDE_SPEEDS,
    SPEED_CLASSES,
    VideoSpec,
    _bounce_between,
    _scene,
    _trajectory,
    preset,
    render_video,
    video_specs,
)
from mict.errors import ConfigError

TINY = SynthConfig(classes=("MoveLeft", "RotateClockwise"), clips_per_group=(1, 1), frames=(16, 18),
                   width=64, height=48, groups=21)


def test_generated_dataset_has_ucf101s_layout(tmp_path):
    summary = generate_dataset(tmp_path, TINY, workers=2, progress=False)
    assert summary["videos"] == 42
    assert sorted(p.name for p in (tmp_path / "UCF-101").iterdir()) == ["MoveLeft", "RotateClockwise"]
    assert (tmp_path / "UCF-101" / "MoveLeft" / "v_MoveLeft_g01_c01.avi").is_file()
    raw = (tmp_path / "ucfTrainTestlist" / "trainlist01.txt").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") == 2 * 14
    lists = SplitLists.find(tmp_path)
    assert lists.classes() == ["MoveLeft", "RotateClockwise"]
    assert sum(v == "test" for v in lists.split(3).values()) == 2 * 7
    test_line = (tmp_path / "ucfTrainTestlist" / "testlist01.txt").read_text().splitlines()[0]
    assert test_line == "MoveLeft/v_MoveLeft_g01_c01.avi"  # no label, as in the official lists


def test_generation_is_deterministic_and_resumable(tmp_path):
    generate_dataset(tmp_path / "a", TINY, workers=2, progress=False)
    generate_dataset(tmp_path / "b", TINY, workers=1, progress=False)
    digest = lambda root: hashlib.md5(b"".join(p.read_bytes() for p in sorted(root.rglob("*.avi")))).hexdigest()
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    victim = tmp_path / "a" / "UCF-101" / "MoveLeft" / "v_MoveLeft_g02_c01.avi"
    victim.unlink()
    generate_dataset(tmp_path / "a", TINY, workers=1, progress=False)  # resumes: redoes only what is missing
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    other = SynthConfig(**{**TINY.__dict__, "seed": 1})
    assert render_video(other, video_specs(other)[0]).tobytes() != render_video(TINY, video_specs(TINY)[0]).tobytes()


@pytest.mark.parametrize("class_name", MOTION_CLASSES)
def test_each_class_is_its_motion(class_name):
    path = _trajectory(class_name, 60, 128, 96, np.random.default_rng(0))
    dx, dy = np.diff(path["x"]), np.diff(path["y"])
    dangle, dscale = np.diff(path["angle"]), np.diff(path["scale"])
    expected = {
        "MoveLeft": (dx < 0).all(), "MoveRight": (dx > 0).all(), "MoveUp": (dy < 0).all(), "MoveDown": (dy > 0).all(),
        "RotateClockwise": (dangle > 0).all(), "RotateAnticlockwise": (dangle < 0).all(),
        "ZoomIn": (dscale > 0).all(), "ZoomOut": (dscale < 0).all(),
        "SwingSideways": (dx > 0).any() and (dx < 0).any() and (dy == 0).all(),
        "BounceUpDown": (dy > 0).any() and (dy < 0).any() and (dx == 0).all(),
    }
    assert expected[class_name]
    assert (path["x"] >= 0.2 * 128 - 1e-9).all() and (path["x"] <= 0.8 * 128 + 1e-9).all()
    assert (path["y"] >= 0.2 * 96 - 1e-9).all() and (path["y"] <= 0.8 * 96 + 1e-9).all()


@pytest.mark.parametrize("class_name", SPEED_CLASSES)
def test_a_glide_moves_at_its_class_speed_and_stays_inside(class_name):
    steps = []
    for seed in range(20):
        path = _trajectory(class_name, 80, 128, 96, np.random.default_rng(seed))
        steps.append(np.median(np.hypot(np.diff(path["x"]), np.diff(path["y"]))))
        assert (path["x"] >= 0.2 * 128 - 1e-9).all() and (path["x"] <= 0.8 * 128 + 1e-9).all()
        assert (path["y"] >= 0.2 * 96 - 1e-9).all() and (path["y"] <= 0.8 * 96 + 1e-9).all()
        assert np.ptp(path["angle"]) == 0 and np.ptp(path["scale"]) == 0  # only the position moves
    speed = GLIDE_SPEEDS[class_name]
    assert 0.9 * speed - 1e-9 <= min(steps) and max(steps) <= 1.1 * speed + 1e-9
    assert np.std(steps) > 0  # each video draws its own speed


def test_a_bounce_folds_a_straight_path_back_at_the_walls():
    path = _bounce_between(np.arange(2.0, 27.0, 0.5), 2.0, 6.0)
    assert path.min() >= 2.0 and path.max() <= 6.0
    assert np.allclose(np.abs(np.diff(path)), 0.5)  # the speed survives every bounce
    assert np.allclose(path[:9], np.arange(2.0, 6.5, 0.5)) and path[9] == 5.5


def test_new_classes_leave_the_motion_videos_as_they_were():
    """A class's place in the catalogue seeds its videos: the speed classes come after the motions."""
    assert CATALOGUE[: len(MOTION_CLASSES)] == MOTION_CLASSES
    assert preset("motion") == SynthConfig()


def test_the_speed_preset_keeps_ucf101s_split_layout():
    config = preset("speed")
    specs = video_specs(config)
    assert set(config.classes) == set(SPEED_CLASSES)
    tested = [s for s in specs if s.group <= 7]  # split 1 tests on groups 1–7
    assert 50 < len(tested) < len(specs) / 5
    with pytest.raises(ConfigError, match="speed"):
        preset("tempo")


def test_mict_synth_starts_from_a_preset_and_the_flags_override_it(tmp_path):
    import json

    from mict.cli import main

    assert main(["synth", "--preset", "speed", "--groups", "21", "--clips", "1-1", "--frames", "16-17",
                 "--size", "48x48", "--out", str(tmp_path), "--workers", "1"]) == 0
    written = json.loads((tmp_path / "synth_config.json").read_text())
    assert written["classes"] == list(SPEED_CLASSES) and written["groups"] == 21 and written["width"] == 48
    assert sorted(p.name for p in (tmp_path / "UCF-101").iterdir()) == sorted(SPEED_CLASSES)


def test_appearance_does_not_depend_on_the_class():
    """The scene of a (class, group) is drawn from one distribution for every class: over many
    groups, the shapes used by two classes are equally spread."""
    config = SynthConfig()
    shapes = {c: [_scene(config, c, g)["shape"] for g in range(1, 201)] for c in ("MoveLeft", "ZoomIn")}
    counts = {c: np.unique(s, return_counts=True)[1] / 200 for c, s in shapes.items()}
    assert np.abs(counts["MoveLeft"] - counts["ZoomIn"]).max() < 0.1


def test_a_group_fixes_the_scene_and_clips_differ():
    config = SynthConfig(width=64, height=48)
    a = render_video(config, VideoSpec("MoveLeft", 4, 1, 16))
    b = render_video(config, VideoSpec("MoveLeft", 4, 2, 16))
    c = render_video(config, VideoSpec("MoveLeft", 5, 1, 16))
    same_group = np.abs(np.median(a, axis=0).astype(int) - np.median(b, axis=0)).mean()
    other_group = np.abs(np.median(a, axis=0).astype(int) - np.median(c, axis=0)).mean()
    assert same_group < other_group / 2
    assert a.shape == (16, 48, 64, 3) and a.dtype == np.uint8


def test_bad_configs_are_explained():
    with pytest.raises(ValueError, match="unknown synthetic classes"):
        SynthConfig(classes=("Jumping",))
    with pytest.raises(ValueError, match="at least 21"):
        SynthConfig(groups=10)
    with pytest.raises(ValueError, match="at least 48"):
        SynthConfig(width=32)
