"""A widget on a trained MiCT-ResNet: a test video's class probabilities at each time step, with
each tube's 3D branch switched on or off (notebook 07)."""

import matplotlib.pyplot as plt

from mict.data import ClipDataset
from mict.models import MiCTResNet

from ..analysis.inside import branches_switched_off, step_probabilities
from ..viz.inside import plot_step_probabilities
from .common import FigureWidget


class StepProbabilityWidget(FigureWidget):
    """Pick a test video and the 3D branches to keep; see the model's belief step by step.

    The video is scored as one long clip (every frame, as `mict predict` does), so a video of
    T frames gives ceil(T / temporal stride) time steps.
    """

    def __init__(self, model: MiCTResNet, dataset: ClipDataset):
        import ipywidgets as widgets

        self.model, self.dataset = model.eval(), dataset
        names = list(dataset.videos["video"])
        controls = {"video": widgets.Dropdown(options=list(zip(names, range(len(names)), strict=True)), value=0,
                                              description="video")}
        controls.update({tube: widgets.Checkbox(value=True, description=f"3D branch: {tube}")
                         for tube in model.tubes()})
        super().__init__(controls)

    def render(self, video: int, **keep) -> plt.Figure:
        clip, label = self.dataset[video][:2]
        off = [tube for tube, kept in keep.items() if not kept]
        with branches_switched_off(self.model, off):
            probabilities = step_probabilities(self.model, clip)
        without = f"without the 3D branches of {', '.join(off)}" if off else "every 3D branch on"
        title = f"{self.dataset.videos['video'].iloc[video]} ({clip.shape[1]} frames), {without}"
        return plot_step_probabilities(clip, probabilities, self.dataset.classes, label,
                                       self.model.temporal_stride, title)
