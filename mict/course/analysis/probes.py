"""Probing a trained model: what it answers when a clip's frames are reordered."""

import pandas as pd
import torch

from mict.data import ClipDataset


@torch.no_grad()
def frame_vs_clip_scores(model: torch.nn.Module, dataset: ClipDataset, index: int) -> pd.DataFrame:
    """Class probabilities of one clip played forwards and backwards: a motion model tells them
    apart, a frame model (no temporal order) cannot."""
    clip, label = dataset[index][:2]
    model.eval()
    forwards = model(clip.unsqueeze(0)).softmax(1)[0]
    backwards = model(clip.flip(1).unsqueeze(0)).softmax(1)[0]
    return pd.DataFrame({"forwards": 100 * forwards.numpy(), "backwards": 100 * backwards.numpy()},
                        index=pd.Index(dataset.classes, name="class"))
