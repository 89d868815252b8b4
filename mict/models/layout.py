"""Moving between the 3D (clip) and the 2D (frame) view of a video tensor.

A clip is N×C×T×H×W. A 2D layer wants N×C×H×W, so MiCT folds time into the
batch: every frame of every clip becomes one image, the 2D layer runs once on
all of them, and the result is unfolded back into clips.
"""

import torch
import torch.nn.functional as F


def to_channels_last(clip: torch.Tensor) -> torch.Tensor:
    """Store a clip as N·T·H·W·C (channels_last_3d): each frame is then a
    channels-last image and `fold_time_into_batch` needs no copy."""
    return clip.contiguous(memory_format=torch.channels_last_3d)


def fold_time_into_batch(clip: torch.Tensor, time_stride: int = 1) -> tuple[torch.Tensor, int]:
    """N×C×T×H×W → (N·T')×C×H×W keeping frames 0, s, 2s, …; also returns T'.

    Frames of one clip stay consecutive in the batch (clip-major order), the
    order the original implementation used.
    """
    n, c, _, h, w = clip.shape
    if clip.stride(1) == 1:
        # Channels-last clips (N·T·H·W·C in memory) fold into channels-last frames,
        # a free view when no frame is skipped: the layout oneDNN runs fastest.
        # Skipping frames in the N·T·H·W·C view, not the N·C·T·H·W one, keeps the
        # gradient channels-last too; the other order makes backward 5× slower.
        kept = clip.permute(0, 2, 3, 4, 1)[:, ::time_stride]
        t = kept.shape[1]
        frames = kept.reshape(n * t, h, w, c).permute(0, 3, 1, 2)
    else:
        kept = clip[:, :, ::time_stride]
        t = kept.shape[2]
        frames = kept.transpose(1, 2).reshape(n * t, c, h, w)
    return frames, t


def unfold_time_from_batch(frames: torch.Tensor, time: int) -> torch.Tensor:
    """(N·T)×C×H×W → N×C×T×H×W, the inverse of `fold_time_into_batch` (always a view)."""
    nt, c, h, w = frames.shape
    return frames.reshape(nt // time, time, c, h, w).transpose(1, 2)


def pad_space_and_time_end(clip: torch.Tensor, space: int, time_end: int) -> torch.Tensor:
    """Zero-pad each spatial side by `space` and the END of time by `time_end` frames.

    Padding time at the end only makes output step t see frames t … t+k−1, so a
    temporal stride s keeps exactly the frames 0, s, 2s, … that the parallel 2D
    branch sees: both branches then have ceil(T/s) steps for any T.
    """
    return F.pad(clip, (space, space, space, space, 0, time_end))
