"""A widget to explore MiCT-ResNet's shapes and costs (notebook 03)."""

import matplotlib.pyplot as plt
import pandas as pd
import torch
from torch.utils.flop_counter import FlopCounterMode

from mict.models import count_parameters, get_model

from ..analysis.trace import trace_shapes
from ..viz.architecture import plot_architecture_view
from .common import FigureWidget


class ArchitectureWidget(FigureWidget):
    """Choose the backbone, the version, the first 3D kernel and the clip length; see every
    layer's output shape, the parameters, and the FLOPs of one clip.

    FLOPs are counted during the same forward pass as the trace, at `size`×`size` frames
    (small, so that each change redraws quickly); they grow with T·H·W.
    """

    def __init__(self, size: int = 64, width: int = 64, frames: int = 16, max_frames: int = 64):
        import ipywidgets as widgets

        self.size, self.width = size, width
        self._models: dict[tuple, torch.nn.Module] = {}
        self.last_trace: pd.DataFrame | None = None
        controls = {
            "backbone": widgets.ToggleButtons(options=["resnet18", "resnet34"], description="backbone"),
            "version": widgets.ToggleButtons(options=["v1", "v2"], description="version"),
            "first_kernel": widgets.ToggleButtons(options=[3, 5, 7], value=7, description="first kernel"),
            "frames": widgets.IntSlider(value=frames, min=1, max=max_frames, description="frames T",
                                        continuous_update=False),
        }
        super().__init__(controls)

    def model(self, backbone: str, version: str, first_kernel: int) -> torch.nn.Module:
        key = (backbone, version, first_kernel)
        if key not in self._models:
            self._models[key] = get_model(f"mict_{backbone}", width=self.width, version=version,
                                          temporal_kernel=first_kernel).eval()
        return self._models[key]

    def render(self, backbone: str, version: str, first_kernel: int, frames: int) -> plt.Figure:
        model = self.model(backbone, version, first_kernel)
        clip = torch.zeros(1, 3, frames, self.size, self.size)
        counter = FlopCounterMode(display=False)
        with counter:
            trace = trace_shapes(model, clip)
        self.last_trace = trace
        title = (f"MiCT-{backbone.replace('resnet', 'ResNet-')} {version}, first kernel {first_kernel}×7×7, "
                 f"T={frames}: {count_parameters(model) / 1e6:.2f}M parameters, "
                 f"{counter.get_total_flops() / 1e9:.2f} GFLOPs per 1×3×{frames}×{self.size}×{self.size} clip")
        return plot_architecture_view(trace, title)
