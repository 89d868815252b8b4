"""A synthetic action dataset, written in UCF-101's exact layout, that needs temporal modelling.

Every class is a motion (move left, rotate clockwise, zoom in, …). Everything a single
frame shows (background texture, shape, colour, size, position) is drawn independently
of the class, so one frame cannot tell the class: a network has to compare frames.

As in UCF-101, a *group* fixes the scene (texture, shape, colour) the way a UCF-101 group
fixes the actor and the place, and split k tests on groups 7k−6 … 7k. A random split
would put clips of one scene on both sides and let a network classify scenes, not motions.

A second preset, `speed` (`mict synth --preset speed`), has three classes that differ only in
speed: the shape glides in a straight line and bounces off the walls, slowly, at a medium pace or
fast. It is built for the one question the motions cannot ask: whether the first 3D kernel's
size (how many frames it sees) matters.

`mict synth --out DIR` writes DIR/UCF-101/<Class>/v_<Class>_gGG_cCC.avi (PyAV, MPEG-4)
and DIR/ucfTrainTestlist/ (classInd, trainlist0k, testlist0k; CRLF like the originals),
so that `mict prepare` and everything after it run unchanged.
"""

import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw
from tqdm.auto import tqdm

from ..atomic import atomic_path
from ..errors import ConfigError
from ..progress import show_progress
from .ucf101 import CLASS_INDEX, LIST_DIR, SPLITS, VIDEO_DIR, groups_tested_in

FPS = 25
# The class catalogue, in classInd order (UCF-101 sorts its classes case-insensitively).
MOTION_CLASSES = (
    "BounceUpDown",
    "MoveDown",
    "MoveLeft",
    "MoveRight",
    "MoveUp",
    "RotateAnticlockwise",
    "RotateClockwise",
    "SwingSideways",
    "ZoomIn",
    "ZoomOut",
)
#: Classes that differ only in speed: the shape glides in a straight line, bouncing off the
#: walls, at about 0.5, 1.5 or 4.5 pixels a frame. Only how far it moves between frames tells
#: them apart, which is what the size of a first 3D kernel could matter for.
SPEED_CLASSES = ("GlideSlow", "GlideMedium", "GlideFast")
GLIDE_SPEEDS = {"GlideSlow": 0.5, "GlideMedium": 1.5, "GlideFast": 4.5}
#: Every class `mict synth` can draw. A class's position here seeds its videos, so new classes are
#: appended: the videos of the others stay the same.
CATALOGUE = MOTION_CLASSES + SPEED_CLASSES

# Asymmetric polygons (unit radius): a rotation or a reversal of any of them is visible.
SHAPES = {
    "L": [(-0.5, -1.0), (-0.05, -1.0), (-0.05, 0.45), (0.7, 0.45), (0.7, 0.95), (-0.5, 0.95)],
    "F": [(-0.55, -1.0), (0.75, -1.0), (0.75, -0.6), (-0.1, -0.6), (-0.1, -0.15), (0.5, -0.15),
          (0.5, 0.25), (-0.1, 0.25), (-0.1, 1.0), (-0.55, 1.0)],
    "arrow": [(-1.0, -0.28), (0.25, -0.28), (0.25, -0.7), (1.0, 0.0), (0.25, 0.7), (0.25, 0.28), (-1.0, 0.28)],
    "flag": [(-0.7, -1.0), (0.9, -0.55), (-0.3, -0.1), (-0.3, 1.0), (-0.7, 1.0)],
}

JITTER_MARGIN = 2  # pixels of camera shake on each side


@dataclass(frozen=True)
class SynthConfig:
    """What `mict synth` generates; the defaults are the course's dataset."""

    classes: tuple[str, ...] = MOTION_CLASSES
    groups: int = 25
    clips_per_group: tuple[int, int] = (4, 5)  # inclusive range, drawn per class and group
    frames: tuple[int, int] = (40, 100)  # inclusive range of video lengths
    width: int = 128
    height: int = 96
    seed: int = 0

    def __post_init__(self):
        unknown = sorted(set(self.classes) - set(CATALOGUE))
        if unknown:
            raise ConfigError(f"unknown synthetic classes {unknown}; choose from {list(CATALOGUE)}")
        if self.groups < 21:
            raise ConfigError(f"groups must be at least 21 (split 3 tests on groups 15–21), got {self.groups}")
        if not 1 <= self.clips_per_group[0] <= self.clips_per_group[1]:
            raise ConfigError(f"clips_per_group must be a range 1 ≤ low ≤ high, got {self.clips_per_group}")
        if not 16 <= self.frames[0] <= self.frames[1]:
            raise ConfigError(f"frames must be a range 16 ≤ low ≤ high, got {self.frames}")
        if self.width < 48 or self.height < 48 or self.width % 2 or self.height % 2:
            raise ConfigError(f"frame size must be even and at least 48×48, got {self.width}×{self.height}")


@dataclass(frozen=True)
class VideoSpec:
    class_name: str
    group: int
    clip: int
    n_frames: int

    @property
    def video(self) -> str:
        return f"{self.class_name}/v_{self.class_name}_g{self.group:02d}_c{self.clip:02d}"


#: Named datasets of `mict synth --preset`: the course's motions, and classes that differ only in speed
#: (three classes, so more groups keep the training set near the course's size).
PRESETS = {
    "motion": SynthConfig(),
    "speed": SynthConfig(classes=SPEED_CLASSES, groups=60),
}


def preset(name: str) -> SynthConfig:
    if name not in PRESETS:
        raise ConfigError(f"unknown synthetic dataset {name!r}; choose one of {list(PRESETS)}")
    return PRESETS[name]


def _rng(config: SynthConfig, *keys: int) -> np.random.Generator:
    return np.random.default_rng([config.seed, *keys])


def video_specs(config: SynthConfig) -> list[VideoSpec]:
    """Every video of the dataset, in a fixed order, with its length."""
    specs = []
    for class_name in config.classes:
        class_key = CATALOGUE.index(class_name)
        for group in range(1, config.groups + 1):
            rng = _rng(config, class_key, group)
            n_clips = int(rng.integers(config.clips_per_group[0], config.clips_per_group[1] + 1))
            for clip in range(1, n_clips + 1):
                n_frames = int(rng.integers(config.frames[0], config.frames[1] + 1))
                specs.append(VideoSpec(class_name, group, clip, n_frames))
    return specs


# --- The scene: what a group fixes ------------------------------------------------------------

#: Shape colours: saturated, far from the muted backgrounds.
COLOURS = ((230, 60, 50), (245, 205, 40), (40, 195, 235), (205, 70, 215))
TEXTURES = 3


def _texture(config: SynthConfig, index: int) -> np.ndarray:
    """One of the few background textures every class shares: muted colour blobs and faint stripes,
    on a canvas twice the frame size so that each group can frame its own part of it."""
    rng = _rng(config, 3000 + index)
    h, w = 2 * config.height, 2 * config.width
    blobs = rng.uniform(100, 160, size=(6, 8, 3)).astype(np.uint8)
    texture = np.asarray(Image.fromarray(blobs).resize((w, h), Image.BICUBIC), dtype=np.float32)
    yy, xx = np.mgrid[0:h, 0:w]
    angle, period = rng.uniform(0, math.pi), rng.uniform(5, 14)
    stripes = np.sin(2 * math.pi * (xx * math.cos(angle) + yy * math.sin(angle)) / period)
    texture += rng.uniform(2, 5) * stripes[..., None] * rng.uniform(0.3, 1.0, size=3)
    return np.clip(texture, 0, 255).astype(np.uint8)


def _scene(config: SynthConfig, class_name: str, group: int) -> dict:
    """The scene of one group of one class: a texture, its framing, a shape and a colour.

    Every factor comes from a small pool that all classes draw from the same way, so no
    appearance (not even a whole combination) belongs to one class: a network that
    memorises scenes learns nothing that carries to the test groups. What is unique to a
    group is the framing of its texture, which makes its clips look alike, as an actor
    and a place make a UCF-101 group's clips look alike.
    """
    rng = _rng(config, 1000 + CATALOGUE.index(class_name), group)
    texture = _texture(config, int(rng.integers(TEXTURES)))
    top = int(rng.integers(0, config.height - 2 * JITTER_MARGIN))
    left = int(rng.integers(0, config.width - 2 * JITTER_MARGIN))
    h, w = config.height + 2 * JITTER_MARGIN, config.width + 2 * JITTER_MARGIN
    return {
        "texture": texture[top : top + h, left : left + w],
        "shape": list(SHAPES)[int(rng.integers(len(SHAPES)))],
        "colour": COLOURS[int(rng.integers(len(COLOURS)))],
    }


# --- The motion: what the class fixes ---------------------------------------------------------

def _trajectory(class_name: str, n: int, width: int, height: int, rng: np.random.Generator) -> dict:
    """Per-frame centre (x, y), angle (radians) and scale of the shape for one clip."""
    t = np.arange(n, dtype=np.float64)
    x_lo, x_hi, y_lo, y_hi = 0.2 * width, 0.8 * width, 0.2 * height, 0.8 * height
    x = np.full(n, rng.uniform(x_lo, x_hi))
    y = np.full(n, rng.uniform(y_lo, y_hi))
    angle = np.full(n, rng.uniform(0, 2 * math.pi))
    scale = np.ones(n)
    if class_name.startswith("Move"):
        horizontal = class_name in ("MoveLeft", "MoveRight")
        lo, hi = (x_lo, x_hi) if horizontal else (y_lo, y_hi)
        # 1–2 pixels a frame, slower only where a long video would leave the frame
        distance = min(rng.uniform(2.0, 3.0) * (n - 1), 0.95 * (hi - lo))
        start = rng.uniform(lo, hi - distance)
        path = start + distance * t / (n - 1)
        if class_name in ("MoveLeft", "MoveUp"):
            path = path[::-1].copy()
        if horizontal:
            x = path
        else:
            y = path
    elif class_name.startswith("Rotate"):
        # Like a clock hand: the shape turns about a pivot near its end, so that its centre
        # also travels round a circle (clockwise on screen, with y pointing down).
        speed = math.radians(rng.uniform(10.0, 16.0))
        angle = angle + (1 if class_name == "RotateClockwise" else -1) * speed * t
        arm = 0.18 * height
        pivot_x, pivot_y = rng.uniform(x_lo + arm, x_hi - arm), rng.uniform(y_lo + arm, y_hi - arm)
        x, y = pivot_x + arm * np.cos(angle), pivot_y + arm * np.sin(angle)
    elif class_name.startswith("Zoom"):
        # 2–4 % larger (or smaller) a frame, at most a factor e^1.2 over the video
        log_ratio = min(rng.uniform(0.03, 0.05) * (n - 1), 1.2) * (1 if class_name == "ZoomIn" else -1)
        scale = np.exp(log_ratio * (t / (n - 1) - 0.5))
    elif class_name == "SwingSideways":
        amplitude, period = rng.uniform(0.12, 0.22) * width, rng.uniform(8, 14)
        centre = rng.uniform(x_lo + amplitude, x_hi - amplitude)
        x = centre + amplitude * np.sin(2 * math.pi * t / period + rng.uniform(0, 2 * math.pi))
    elif class_name in GLIDE_SPEEDS:
        speed = GLIDE_SPEEDS[class_name] * rng.uniform(0.9, 1.1)
        heading = rng.uniform(0, 2 * math.pi)
        x = _bounce_between(x[0] + speed * math.cos(heading) * t, x_lo, x_hi)
        y = _bounce_between(y[0] + speed * math.sin(heading) * t, y_lo, y_hi)
    elif class_name == "BounceUpDown":
        amplitude, period = rng.uniform(0.2, 0.35) * height, rng.uniform(8, 14)
        floor = rng.uniform(y_lo + amplitude, y_hi)
        y = floor - amplitude * np.abs(np.sin(math.pi * t / period + rng.uniform(0, math.pi)))
    else:
        raise ValueError(f"no motion defined for class {class_name!r}")
    return {"x": x, "y": y, "angle": angle, "scale": scale}


def _bounce_between(path: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """A straight path folded back into [lo, hi] at each wall, as a ball bounces."""
    span = hi - lo
    folded = np.mod(path - lo, 2 * span)
    return lo + np.where(folded <= span, folded, 2 * span - folded)


def render_video(config: SynthConfig, spec: VideoSpec) -> np.ndarray:
    """The frames of one video: T×H×W×3 uint8, identical for the same config and spec."""
    scene = _scene(config, spec.class_name, spec.group)
    rng = _rng(config, 2000 + CATALOGUE.index(spec.class_name), spec.group, spec.clip)
    w, h, n = config.width, config.height, spec.n_frames
    path = _trajectory(spec.class_name, n, w, h, rng)
    radius = rng.uniform(0.18, 0.26) * h
    noise_sigma = rng.uniform(2.0, 5.0)
    # A slight camera shake: now and then a one-pixel step, never more than JITTER_MARGIN away.
    steps = rng.integers(-1, 2, size=(n, 2)) * (rng.random(size=(n, 2)) < 0.15)
    shake = np.clip(np.cumsum(steps, axis=0), -JITTER_MARGIN, JITTER_MARGIN)
    polygon = np.array(SHAPES[scene["shape"]])
    supersample = 2
    frames = np.empty((n, h, w, 3), dtype=np.uint8)
    for i in range(n):
        dx, dy = int(shake[i, 0]), int(shake[i, 1])
        m = JITTER_MARGIN
        background = scene["texture"][m + dy : m + dy + h, m + dx : m + dx + w].astype(np.float32)
        c, s = math.cos(path["angle"][i]), math.sin(path["angle"][i])
        r = radius * path["scale"][i]
        points = polygon @ np.array([[c, s], [-s, c]]) * r + (path["x"][i] + dx, path["y"][i] + dy)
        mask = Image.new("L", (w * supersample, h * supersample), 0)
        ImageDraw.Draw(mask).polygon([tuple(p) for p in points * supersample], fill=255)
        alpha = np.asarray(mask.resize((w, h), Image.BOX), dtype=np.float32)[..., None] / 255.0
        frame = background * (1 - alpha) + np.array(scene["colour"], dtype=np.float32) * alpha
        frame += rng.standard_normal(size=frame.shape, dtype=np.float32) * noise_sigma
        frames[i] = np.clip(frame, 0, 255).astype(np.uint8)
    return frames


def write_avi(path: Path, frames: np.ndarray, fps: int = FPS) -> None:
    """Encode T×H×W×3 uint8 frames as an MPEG-4 AVI (UCF-101's container), atomically."""
    with atomic_path(path) as tmp, av.open(str(tmp), mode="w", format="avi") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 2_000_000
        stream.thread_count = 1  # a single encoder thread keeps the bytes deterministic
        for array in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _generate_one(job: tuple[SynthConfig, VideoSpec, str]) -> str:
    config, spec, out = job
    path = Path(out) / VIDEO_DIR / f"{spec.video}.avi"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_avi(path, render_video(config, spec))
    return spec.video


def _write_text_atomically(path: Path, lines: list[str]) -> None:
    """CRLF line endings, as in the official lists."""
    with atomic_path(path) as tmp:
        tmp.write_bytes("".join(f"{line}\r\n" for line in lines).encode())


def write_split_lists(config: SynthConfig, specs: list[VideoSpec], out: Path) -> None:
    """classInd.txt and, per split, trainlist0k.txt (with 1-based labels) and testlist0k.txt (without)."""
    lists = out / LIST_DIR
    lists.mkdir(parents=True, exist_ok=True)
    classes = sorted(config.classes, key=str.lower)
    index = {name: i + 1 for i, name in enumerate(classes)}
    _write_text_atomically(lists / CLASS_INDEX, [f"{index[name]} {name}" for name in classes])
    ordered = sorted(specs, key=lambda s: (index[s.class_name], s.group, s.clip))
    for split in SPLITS:
        tested = set(groups_tested_in(split))
        train = [f"{s.video}.avi {index[s.class_name]}" for s in ordered if s.group not in tested]
        test = [f"{s.video}.avi" for s in ordered if s.group in tested]
        _write_text_atomically(lists / f"trainlist{split:02d}.txt", train)
        _write_text_atomically(lists / f"testlist{split:02d}.txt", test)


def generate_dataset(out: str | Path, config: SynthConfig = SynthConfig(), workers: int | None = None,
                     progress: bool | None = None) -> dict:
    """Write the whole dataset under `out`; resumable (existing videos are kept) and deterministic."""
    out = Path(out)
    specs = video_specs(config)
    workers = workers or min(len(specs), os.cpu_count() or 1)
    jobs = [(config, spec, str(out)) for spec in specs]
    bar = tqdm(total=len(jobs), desc="synthesising videos", unit="video", disable=not show_progress(progress))
    if workers == 1:
        for job in jobs:
            _generate_one(job)
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(_generate_one, jobs, chunksize=8):
                bar.update()
    bar.close()
    write_split_lists(config, specs, out)
    (out / "synth_config.json").write_text(_config_json(config))
    return {"videos": len(specs), "frames": sum(s.n_frames for s in specs), "classes": len(config.classes),
            "out": str(out)}


def _config_json(config: SynthConfig) -> str:
    import json

    return json.dumps(asdict(config), indent=2) + "\n"
