"""Where generated data, runs and executed notebooks live.

Inside a checkout (the usual editable install) they go to the repository's data/ and
build/ folders; the environment variables MICT_DATA and MICT_BUILD move them.
"""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT = PACKAGE_DIR.parent
REPO_ROOT = _CHECKOUT if (_CHECKOUT / "pyproject.toml").is_file() else None


def data_dir() -> Path:
    if "MICT_DATA" in os.environ:
        return Path(os.environ["MICT_DATA"])
    return (REPO_ROOT or Path.cwd()) / "data"


def build_dir() -> Path:
    if "MICT_BUILD" in os.environ:
        return Path(os.environ["MICT_BUILD"])
    return (REPO_ROOT or Path.cwd()) / "build"


def reference_dir() -> Path:
    """The original implementation's reported figures (data/reference in the repository)."""
    if REPO_ROOT is None:
        raise FileNotFoundError("data/reference/ ships with the repository; run from a checkout of the project")
    return REPO_ROOT / "data" / "reference"


def official_splits_dir() -> Path:
    """UCF-101's official split lists, shipped in data/ucf101-splits (see its README)."""
    if REPO_ROOT is None:
        raise FileNotFoundError("data/ucf101-splits/ ships with the repository; run from a checkout of the project")
    return REPO_ROOT / "data" / "ucf101-splits"


def synthetic_dir(preset: str = "motion") -> Path:
    """Where a named synthetic dataset (`mict.data.synth.PRESETS`) is generated and prepared."""
    return data_dir() / ("synthetic" if preset == "motion" else f"synthetic-{preset}")


def synthetic_raw_dir(preset: str = "motion") -> Path:
    return synthetic_dir(preset) / "raw"


def synthetic_prepared_dir(preset: str = "motion") -> Path:
    return synthetic_dir(preset) / "prepared"
