"""Interactive widgets (ipywidgets) for the notebooks; each also renders its default state as a
static figure, so that a headless run or a static render shows something useful."""

from .common import FigureWidget

__all__ = ["FigureWidget"]
