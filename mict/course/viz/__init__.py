"""Figures for the course, one module per notebook topic; `save_figure` gives them stable names."""

from .common import save_figure, show_table

__all__ = ["save_figure", "show_table"]
