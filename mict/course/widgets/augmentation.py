"""A widget to explore temporal sampling and clip augmentation on real videos (notebook 02)."""

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import torchvision.transforms.v2.functional as TF

from mict.config import TrainConfig
from mict.data.augment import CROP_POSITIONS, ClipAugmentation, TrainTransform, crop_box, resize_to_base
from mict.data.dataset import read_frames

from ..viz.augmentation import fixed_sample, plot_clip_view
from .common import FigureWidget

#: The original's colour factors span [0.5, 1.5]; the sliders cover it whatever the profile.
FACTOR_RANGE = (0.5, 1.5)


class AugmentationWidget(FigureWidget):
    """Choose a video, a down-sampling step and start, a crop and colour factors; see the clip.

    Every parameter that training draws at random is a control here, so a student can set
    one at a time. The sizes (clip length, base and crop size, crop sides) are the profile's.
    """

    def __init__(self, root: str | Path, videos: pd.DataFrame, config: TrainConfig):
        import ipywidgets as widgets

        self.root = Path(root)
        self.videos = videos.set_index("video")
        self.config = config
        self.transform = TrainTransform(config.crop_size, config.base_size, hflip=config.hflip,
                                        scales=config.crop_scales, colour_jitter=config.colour_jitter)
        sides = self.transform.crop_sides

        def factor(name):
            return widgets.FloatSlider(value=1.0, min=FACTOR_RANGE[0], max=FACTOR_RANGE[1], step=0.05,
                                       description=name, continuous_update=False)

        controls = {
            "video": widgets.Dropdown(options=list(self.videos.index), description="video"),
            "step": widgets.IntSlider(value=1, min=1, max=max(4, config.max_step), description="step",
                                      continuous_update=False),
            "start": widgets.IntSlider(value=0, min=0, max=int(self.videos["n_frames"].max()) - 1,
                                       description="start", continuous_update=False),
            "position": widgets.Dropdown(options=CROP_POSITIONS, value="center", description="crop at"),
            "crop_width": widgets.SelectionSlider(options=sides, value=max(sides), description="crop width"),
            "crop_height": widgets.SelectionSlider(options=sides, value=max(sides), description="crop height"),
            "saturation": factor("saturation"),
            "brightness": factor("brightness"),
            "contrast": factor("contrast"),
            "flip": widgets.Checkbox(value=False, description="horizontal flip"),
        }
        super().__init__(controls)

    def augmentation(self, height: int, width: int, position: str, crop_width: int, crop_height: int,
                     saturation: float, brightness: float, contrast: float, flip: bool) -> ClipAugmentation:
        """The parameters `TrainTransform.draw` would have drawn, set by hand."""
        box = crop_box(position, min(crop_height, height), min(crop_width, width), height, width)
        return ClipAugmentation(flip, position, box, saturation, brightness, contrast)

    def render(self, video: str, step: int, start: int, **augmentation) -> plt.Figure:
        row = self.videos.loc[video]
        sample = fixed_sample(int(row["n_frames"]), self.config.frames, step, start)
        clip = read_frames(self.root / row["frames_dir"], sample.indices)
        base = resize_to_base(clip[0], self.transform.base_size)  # where the crop box is drawn
        params = self.augmentation(*base.shape[-2:], **augmentation)
        augmented = self.transform.apply(clip, params, normalized=False)
        base = TF.horizontal_flip(base) if params.flip else base
        return plot_clip_view(int(row["n_frames"]), sample, base, params, augmented)
