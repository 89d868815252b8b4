"""Training configurations and the two profiles.

`quick` is the course's default: the synthetic dataset, a narrow MiCT-ResNet-18 and a
schedule that trains in minutes on a laptop CPU. `full` is the original's UCF-101
recipe for a GPU. Both run the same code; every field can be overridden, and every
field is a flag of `mict train` whose help and choices are the field's metadata.
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .code_version import code_version
from .data.synth import PRESETS as SYNTHETIC_DATASETS
from .errors import ConfigError
from .models import MIN_FRAME_SIZE, TEMPORAL_KERNELS, TEMPORAL_STRIDES, list_models, model_spec
from .runtime import AMP_MODES

PROFILES = ("quick", "full")
SCHEDULES = ("step", "multistep", "poly", "cosine", "onecycle", "constant")
OPTIMIZERS = ("sgd", "adamw")

#: Fields that say where or how fast a run happens, not what it computes: they are left out of
#: the run's key and may differ when a run is resumed or reused. The data pipeline's randomness
#: does not depend on the worker count; float results do differ between devices (as between CPU
#: families), but the experiment is the same.
RUN_AGNOSTIC_FIELDS = ("out", "workers", "device", "extra")


def option(default, help: str, *, choices=None, minimum=None):
    """A TrainConfig field with its `mict train` help text, its allowed values and its lower bound."""
    metadata = {"help": help, "choices": tuple(choices) if choices is not None else None, "minimum": minimum}
    if isinstance(default, dict):
        return field(default_factory=dict, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class TrainConfig:
    profile: str = option("quick", "the defaults the other fields start from", choices=PROFILES)
    # data
    data: str | None = option(None, "prepared dataset (default: the profile's; the quick profile generates "
                                     "the synthetic one when missing)")
    synthetic: str = option("motion", "which synthetic dataset the quick profile uses (and generates when "
                                      "missing): motion, the course's ten motions, or speed, three classes "
                                      "that differ only in speed", choices=tuple(SYNTHETIC_DATASETS))
    split: int = option(1, "UCF-101 split: which groups are tested", choices=(1, 2, 3))
    frames: int = option(16, "frames per training clip", minimum=1)
    crop_size: int = option(48, "side of the square training crop, in pixels (the networks downsample "
                                "space by 32)", minimum=MIN_FRAME_SIZE)
    base_size: int = option(54, "height of the frames crops are taken from (the synthetic frames are "
                                "prepared at it, so loading never resizes)", minimum=1)
    hflip: bool = option(False, "random horizontal flips (off in the quick profile: a flip would swap "
                                "MoveLeft and MoveRight)")
    crop_scales: tuple[int, ...] = option((160, 176, 192), "crop sides drawn in training, in pixels of a "
                                                           "192-pixel-high frame (scaled to base-size)")
    colour_jitter: float = option(0.3, "saturation, brightness and contrast factors are drawn from "
                                       "[1 - j, 1 + j]", minimum=0)
    max_step: int = option(2, "training clips keep every s-th frame, s drawn from 1 … max-step", minimum=1)
    val_groups: int = option(3, "groups of the training list held out for validation (model selection "
                                "never looks at the test list)", minimum=0)
    workers: int = option(0, "DataLoader worker processes (0: load in the training process)", minimum=0)
    # model
    model: str = option("mict_resnet18", "architecture", choices=list_models())
    width: int = option(16, "channels of the first stage (64: the standard ResNet)", minimum=1)
    dropout: float = option(0.2, "dropout of whole channels before the classifier", minimum=0)
    version: str = option("v1", "MiCT's temporal strides: v1 divides time by 16, v2 by 4",
                          choices=tuple(TEMPORAL_STRIDES))
    temporal_kernel: int = option(7, "frames the first 3D kernel sees (MiCT with 3D branches)",
                                  choices=TEMPORAL_KERNELS)
    pretrained: bool | str = option(False, "true (ImageNet), false, or a path to weights")
    # optimisation
    optimizer: str = option("adamw", "sgd (the original's) or adamw", choices=OPTIMIZERS)
    lr: float = option(3e-3, "peak learning rate")
    momentum: float = option(0.9, "SGD momentum", minimum=0)
    weight_decay: float = option(5e-2, "weight decay", minimum=0)
    batch_size: int = option(16, "the global batch, split over processes and accumulation steps", minimum=1)
    accumulation: int = option(1, "micro-batches per optimiser step (gradient accumulation)", minimum=1)
    epochs: int = option(16, "passes over the training subset", minimum=1)
    schedule: str = option("onecycle", "learning-rate schedule, stepped every iteration", choices=SCHEDULES)
    lr_steps: tuple[int, ...] = option((), "epochs at which a step/multistep schedule multiplies the lr "
                                           "by lr-gamma")
    lr_gamma: float = option(0.1, "factor applied to the lr at each of lr-steps")
    warmup_epochs: float = option(0.0, "linear warm-up in epochs (for onecycle: the length of its rise)",
                                  minimum=0)
    # runtime
    device: str = option("auto", "cpu, cuda, mps, or auto (the first available of cuda, mps, cpu)")
    amp: str = option("auto", "mixed precision: auto (CUDA: bf16 where supported, else fp16; float32 "
                              "elsewhere), bf16 (CPU too), fp16, off", choices=AMP_MODES)
    sync_bn: bool = option(False, "synchronised BatchNorm across GPUs (DistributedDataParallel on CUDA)")
    seed: int = option(0, "seeds the weights, the shuffling and every augmentation")
    out: str | None = option(None, "run folder (default: build/runs/<model>-<key of the configuration>)")
    extra: dict = option({}, "free-form notes kept with the run")

    def __post_init__(self):
        self.lr_steps = tuple(self.lr_steps)
        self.crop_scales = tuple(self.crop_scales)
        self.validate()

    def validate(self) -> None:
        takes = model_spec(self.model).options if self.model in list_models() else ()
        for f in dataclasses.fields(self):
            value, choices, minimum = getattr(self, f.name), f.metadata["choices"], f.metadata["minimum"]
            if choices is not None and value not in choices and (f.name not in ("version", "temporal_kernel")
                                                                  or f.name in takes):
                raise ConfigError(f"{f.name} must be one of {list(choices)}, got {value!r}")
            if minimum is not None and value < minimum:
                raise ConfigError(f"{f.name} must be at least {minimum}, got {value}")
        if self.batch_size % self.accumulation:
            raise ConfigError(f"batch_size {self.batch_size} is not divisible by accumulation {self.accumulation}")
        if self.crop_size > self.base_size:
            raise ConfigError(f"crop_size {self.crop_size} is larger than base_size {self.base_size}")
        if self.synthetic != TrainConfig.synthetic and not self.generates_synthetic_data():
            raise ConfigError(f"synthetic {self.synthetic!r} picks the quick profile's default dataset, so it does "
                              f"nothing with data={self.data!r} and profile={self.profile!r}: drop --synthetic, or "
                              f"--data to train on the synthetic {self.synthetic!r} dataset")
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if self.schedule in ("step", "multistep") and not self.lr_steps:
            raise ConfigError(f"schedule {self.schedule!r} needs lr_steps (epochs at which the lr drops)")

    def model_options(self) -> dict:
        """What `get_model` needs, besides num_classes."""
        options = {"width": self.width, "dropout": self.dropout, "pretrained": self.pretrained}
        options.update({name: getattr(self, name) for name in model_spec(self.model).options})
        return options

    def data_root(self) -> str:
        if self.data is not None:
            return self.data
        if self.profile == "quick":
            return str(paths.synthetic_prepared_dir(self.synthetic))
        return str(paths.data_dir() / "ucf101" / "prepared")

    def generates_synthetic_data(self) -> bool:
        """Whether a missing dataset is generated: the quick profile's default one only."""
        return self.profile == "quick" and self.data is None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def identity(self) -> dict:
        """What makes this run this run: every field but RUN_AGNOSTIC_FIELDS, the data by `data_identity`."""
        values = {k: v for k, v in self.to_dict().items() if k not in RUN_AGNOSTIC_FIELDS}
        values["data"] = data_identity(self.data_root())
        return values

    def key(self, code: str | None = None) -> str:
        """A short hash of everything that decides the trained weights: `identity()` and the version of
        the training code (`mict.code_version`), so that a run trained by older code is not reused.
        `code` names another version of the training code (to recognise a run of older code)."""
        text = json.dumps({**self.identity(), "code": code or code_version()}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def run_dir(self) -> str:
        if self.out is not None:
            return self.out
        return str(paths.build_dir() / "runs" / f"{self.model}-{self.key()}")


def data_identity(root: str | Path) -> str:
    """A dataset's location as a run remembers it: relative to the data folder when inside it (so that
    a run keys the same in every checkout), else absolute."""
    path, base = Path(root).resolve(), paths.data_dir().resolve()
    return path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)


def differences(a: TrainConfig, b: TrainConfig) -> list[str]:
    """'field: a → b' for each field in which two configurations are different runs."""
    first, second = a.identity(), b.identity()
    return [f"{name}: {first[name]!r} → {second[name]!r}" for name in first if first[name] != second[name]]


# The original's recipe (Mahoudeau's README): SGD, lr 1e-2, momentum 0.9, weight decay
# 5e-4, batch 112, 16-frame 160×160 crops of 256×192 frames, dropout 0.5, ImageNet
# initialisation; MiCT-ResNet-18 for 120 epochs, lr ÷10 at epoch 80.
# Every field of the recipe is spelled out, so that no quick-profile default leaks into it.
FULL = dict(
    profile="full", split=1, frames=16, crop_size=160, base_size=192, hflip=True,
    crop_scales=(128, 144, 160, 176, 192), colour_jitter=0.5, max_step=4, val_groups=3, workers=8,
    model="mict_resnet18", width=64, dropout=0.5, version="v1", temporal_kernel=7, pretrained=True,
    optimizer="sgd", lr=1e-2, momentum=0.9, weight_decay=5e-4, batch_size=112, accumulation=1,
    epochs=120, schedule="step", lr_steps=(80,), lr_gamma=0.1, warmup_epochs=0.0, amp="auto",
)
# …and 3D-ResNet-18 for 90 epochs, lr ÷10 at epochs 40 and 80.
FULL_BY_MODEL = {
    "resnet3d_18": dict(epochs=90, schedule="multistep", lr_steps=(40, 80)),
    "resnet3d_34": dict(epochs=90, schedule="multistep", lr_steps=(40, 80)),
}


# The quick profile's learning rate for v2: the one the learning-rate sweep's validation top-1
# prefers (data/sweeps/learning-rate, notebook 06; tests/test_shipped_sweeps.py checks the two agree).
QUICK_BY_VERSION = {"v2": dict(lr=1.5e-3)}


def frame_size_for(base_size: int) -> tuple[int, int]:
    """(width, height) of 4:3 frames `base_size` pixels high, as UCF-101's 320×240: the size to prepare
    a dataset at, so that loading a clip never resizes it."""
    return round(base_size * 4 / 3), base_size


def make_config(profile: str = "quick", **overrides) -> TrainConfig:
    """A profile's configuration with `overrides` (None values are ignored) applied on top."""
    if profile not in PROFILES:
        raise ConfigError(f"profile must be one of {list(PROFILES)}, got {profile!r}")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(TrainConfig)})
    if unknown:
        raise ConfigError(f"unknown configuration field(s) {unknown}")
    values: dict = {}
    model = overrides.get("model", TrainConfig.model)
    if profile == "full":
        values.update(FULL)
        values.update(FULL_BY_MODEL.get(model, {}))
    elif model in list_models() and "version" in model_spec(model).options:
        values.update(QUICK_BY_VERSION.get(overrides.get("version", TrainConfig.version), {}))
    values.update(overrides)
    values["profile"] = profile
    return TrainConfig(**values)
