"""Predicting the action in a video file: `mict predict VIDEO --checkpoint PATH` and its library call.

The video goes through exactly what a test video goes through: `mict prepare`'s decoding and
resizing to the frame height the model was trained on (keeping the video's aspect ratio),
then the test-time centre crop and normalisation. The whole video (or its first N frames)
is one long clip; the network's prediction is the softmax of its logits averaged over time,
and each time step that reaches the classifier has its own probabilities too.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pandas as pd
import torch
from torch import nn

from . import paths
from .atomic import atomic_path
from .data import EvalTransform, read_frames
from .data.prepare import prepare_video
from .data.ucf101 import SplitLists
from .errors import MissingFileError, VideoReadError
from .runtime import autocast, resolve_device


@dataclass
class Prediction:
    """What a model says about one video: the whole video, and each of its time steps."""

    video: Path
    classes: list[str]
    probabilities: np.ndarray  # classes: the softmax of the mean logits (the model's answer)
    step_probabilities: np.ndarray  # steps × classes: the softmax of each step's logits
    step_frames: list[tuple[int, int]]  # first and last input frame each step covers

    def top(self, k: int = 5) -> pd.DataFrame:
        order = np.argsort(-self.probabilities)[:k]
        return pd.DataFrame({"class": [self.classes[i] for i in order],
                             "probability": self.probabilities[order]}, index=pd.RangeIndex(1, len(order) + 1))

    def steps(self, k: int = 5) -> pd.DataFrame:
        """Per time step: the frames it covers and the probabilities of the video's top-k classes."""
        top = self.top(k)["class"].tolist()
        columns = [self.classes.index(name) for name in top]
        table = pd.DataFrame(self.step_probabilities[:, columns], columns=top)
        table.insert(0, "frames", [f"{first}–{last}" for first, last in self.step_frames])
        return table.rename_axis("step")

    def to_csv(self, path: str | Path) -> Path:
        """Every class's probability at every step (rows), then the whole video's ('video')."""
        table = pd.DataFrame(self.step_probabilities, columns=self.classes)
        table.insert(0, "first_frame", [first for first, _ in self.step_frames])
        table.insert(1, "last_frame", [last for _, last in self.step_frames])
        table.index = [f"step {i}" for i in range(len(table))]
        table.loc["video"] = [self.step_frames[0][0], self.step_frames[-1][1], *self.probabilities]
        path = Path(path)
        with atomic_path(path, suffix=".tmp.csv") as tmp:
            table.to_csv(tmp, index_label="row")
        return path


def video_frame_size(path: Path, height: int) -> tuple[int, int]:
    """(width, height) that keeps the video's aspect ratio at `height` pixels, width rounded to even."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoReadError(f"{path} holds no video stream (audio only?)")
            stream = container.streams.video[0]
            width, source_height = stream.codec_context.width, stream.codec_context.height
    except av.error.FFmpegError as error:
        raise VideoReadError(f"{path} is not a video PyAV can read ({error}); give an avi, mp4, mkv, … file") from None
    if not width or not source_height:
        raise VideoReadError(f"{path} does not say its frame size; is the file complete?")
    return max(2, 2 * round(width * height / source_height / 2)), height


def read_video(path: str | Path, height: int) -> torch.Tensor:
    """Every frame of a video file, prepared as `mict prepare` prepares a dataset: uint8 T×3×H×W."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"video not found: {path}")
    size = video_frame_size(path, height)
    with tempfile.TemporaryDirectory(prefix="mict-predict-") as tmp:
        target = Path(tmp) / "frames"
        try:
            meta = prepare_video(path, target, size)
        except (av.error.FFmpegError, ValueError) as error:
            raise VideoReadError(f"{path} could not be decoded ({error}); is the file complete?") from None
        return read_frames(target, list(range(meta["n_frames"]))).clone()


def class_names_for(checkpoint_classes: list[str] | None, model: nn.Module) -> list[str]:
    """The model's class names: its checkpoint's, UCF-101's for a 101-class original, else numbers."""
    if checkpoint_classes:
        return list(checkpoint_classes)
    num_classes = [m for m in model.modules() if isinstance(m, nn.Linear)][-1].out_features
    if num_classes == 101 and paths.REPO_ROOT is not None:
        return SplitLists.from_folder(paths.official_splits_dir()).classes()
    return [f"class {i}" for i in range(num_classes)]


@torch.no_grad()
def predict_video(model: nn.Module, classes: list[str], video: str | Path, *, base_size: int, crop_size: int,
                  frames: int | None = None, device: str | torch.device = "cpu", amp: str = "auto") -> Prediction:
    """The model's prediction for a video file (its first `frames` frames, or all of them)."""
    device = resolve_device(device)
    clip = read_video(video, base_size)
    if frames is not None:
        clip = clip[:frames]
    inputs = EvalTransform(crop_size, base_size).apply(clip).unsqueeze(0).to(device)
    model = model.to(device).eval()
    with autocast(device, amp):
        if hasattr(model, "step_logits"):
            steps = model.step_logits(inputs).float()[0]  # T'×classes
        else:  # torchvision's video ResNets pool time away: one step
            steps = model(inputs).float()
    stride = getattr(model, "temporal_stride", clip.shape[0])
    spans = [(t * stride, min((t + 1) * stride, clip.shape[0]) - 1) for t in range(steps.shape[0])]
    return Prediction(Path(video), classes, steps.mean(dim=0).softmax(dim=0).cpu().numpy(),
                      steps.softmax(dim=1).cpu().numpy(), spans)
