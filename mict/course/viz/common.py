"""Saving figures reproducibly: stable names under figures/, fixed size and resolution,
no timestamps or version strings in the file, so the same inputs give the same bytes."""

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from mict.atomic import atomic_path

from ..settings import figures_dir

DPI = 110


class SavedFigure(type(Path())):
    """The path of a saved figure, shown at the end of a notebook cell as a one-line note."""

    def __repr__(self) -> str:
        return f"saved {self.parent.name}/{self.name}"


def save_figure(fig: plt.Figure, name: str, directory: str | Path | None = None) -> SavedFigure:
    """Write `fig` to figures/<name>.png (the course's stable name) and return the path.

    The figure stays open, so that a notebook also shows it inline.
    """
    directory = Path(directory) if directory is not None else figures_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    with atomic_path(path, suffix=".tmp.png") as tmp:  # savefig picks the format from the name
        fig.savefig(tmp, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return SavedFigure(path)


def show_table(table: pd.DataFrame, float_format: str = "{:.1f}"):
    """A DataFrame styled for a notebook: rounded floats, no index."""
    return table.style.format({c: float_format.format for c in table.select_dtypes("float").columns}).hide(
        axis="index")
