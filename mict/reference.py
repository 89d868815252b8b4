"""The original implementation's reported figures (data/reference), as DataFrames."""

import pandas as pd

from .paths import reference_dir


def architectures() -> pd.DataFrame:
    """Params, top-1/top-5, memory and fps of MiCT-ResNet-18 (3 first kernels) and 3D-ResNet-18."""
    return pd.read_csv(reference_dir() / "architectures.csv")


def clip_length() -> pd.DataFrame:
    """Top-1 per split against the number of frames tested, MiCT-ResNet-18/34 v2 (long format)."""
    return pd.read_csv(reference_dir() / "clip_length.csv")


def clip_length_average() -> pd.DataFrame:
    """`clip_length` averaged over the three splits: one row per (model, frames)."""
    table = clip_length().groupby(["model", "frames"], as_index=False)["top1"].mean()
    return table.round({"top1": 2})


def headline() -> pd.DataFrame:
    """The two 3-split averages the original's README opens with (v2, 300-frame clips)."""
    return pd.read_csv(reference_dir() / "headline.csv")


def released_weights() -> pd.DataFrame:
    return pd.read_csv(reference_dir() / "released_weights.csv")
