"""What a notebook needs to know: the notebooks, where the course writes, and each profile's settings."""

import os
from dataclasses import dataclass
from pathlib import Path

from mict import paths
from mict.allocator import keep_freed_memory
from mict.checkpoints import TrainResult
from mict.config import TrainConfig, frame_size_for, make_config
from mict.errors import MictError
from mict.runs import RunNotTrainedError, train_or_load

NOTEBOOKS = (
    "01_data_preparation",
    "02_augmentation",
    "03_architecture",
    "04_training",
    "05_kernel_size_ablation",
    "06_clip_length_ablation",
    "07_inside_mict",
)


def notebooks_dir() -> Path:
    if paths.REPO_ROOT is None:
        raise FileNotFoundError("the notebooks ship with the repository; run the course from a checkout")
    return paths.REPO_ROOT / "notebooks"


def figures_dir() -> Path:
    """figures/ in the checkout, or MICT_FIGURES (the tests write theirs to a temporary folder)."""
    return Path(os.environ.get("MICT_FIGURES", (paths.REPO_ROOT or Path.cwd()) / "figures"))


def results_dir() -> Path:
    return paths.build_dir() / "results"


class FiguresOnlyError(MictError):
    """`--figures-only` needs a run that is not cached."""


@dataclass(frozen=True)
class CourseSettings:
    """The profile a notebook runs in, and how it may get its trained models."""

    profile: str
    data_root: Path  # the prepared dataset
    raw_root: Path  # UCF-101's distribution, or where the synthetic one is generated
    retrain: bool = False
    figures_only: bool = False

    def train_config(self, **overrides) -> TrainConfig:
        return make_config(self.profile, data=str(self.data_root), **overrides)

    @property
    def base_size(self) -> int:
        return self.train_config().base_size

    @property
    def crop_size(self) -> int:
        return self.train_config().crop_size

    @property
    def prepare_size(self) -> tuple[int, int]:
        """The frame size `mict prepare` stores: the size the networks crop from."""
        return frame_size_for(self.base_size)


def settings(profile: str = "quick", *, retrain: bool = False, figures_only: bool = False) -> CourseSettings:
    """The course's settings for a profile: 'quick' (synthetic, CPU) or 'full' (UCF-101, GPU).

    Every notebook calls it first, so it also readies the notebook's process for training: freed
    memory is kept for reuse (`mict.allocator`), as the `mict` command keeps it.
    """
    keep_freed_memory()
    if profile == "quick":
        return CourseSettings("quick", paths.synthetic_prepared_dir(), paths.synthetic_raw_dir(), retrain,
                              figures_only)
    if profile == "full":
        ucf = paths.data_dir() / "ucf101"
        return CourseSettings("full", ucf / "prepared", ucf, retrain, figures_only)
    raise ValueError(f"profile must be 'quick' or 'full', got {profile!r}")


def get_run(config: TrainConfig, course: CourseSettings) -> TrainResult:
    """A trained run of `config`: from the cache in build/runs, or trained now.

    With `figures_only` the course never trains: a missing run is an error that names it.
    """
    try:
        return train_or_load(config, retrain=course.retrain, train_missing=not course.figures_only)
    except RunNotTrainedError as error:
        raise FiguresOnlyError(f"--figures-only uses cached runs only: {error}. Run `mict course` without "
                               f"--figures-only first") from None
