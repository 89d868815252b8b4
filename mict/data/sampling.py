"""Which frames of a video make a clip.

Training (as the original): keep every s-th frame for a random s in 1…4, take
`length` consecutive frames of that sequence from a random start, and loop the
sequence when it is too short. Testing: the first N frames, or K clips spread
uniformly over the video.
"""

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class TemporalSample:
    """Frame indices (0-based) of one clip and how they were chosen."""

    indices: tuple[int, ...]
    step: int  # temporal down-sampling factor
    start: int  # first frame taken, in the original video
    looped: bool  # the video was too short and the sequence was repeated

    def __len__(self) -> int:
        return len(self.indices)


def _loop(chosen: list[int], length: int) -> list[int]:
    """Repeat `chosen` cyclically to `length` frames (0 1 2 → 0 1 2 0 1 2 0 …)."""
    return [chosen[i % len(chosen)] for i in range(length)]


def _check(n_frames: int, length: int | None) -> None:
    if n_frames < 1:
        raise ValueError(f"a video needs at least one frame, got n_frames={n_frames}")
    if length is not None and length < 1:
        raise ValueError(f"a clip needs at least one frame, got length={length}")


def sample_training_frames(n_frames: int, length: int, generator: torch.Generator,
                           max_step: int = 4) -> TemporalSample:
    """A random temporal down-sampling (1…max_step), a random start, `length` frames, looped if short."""
    _check(n_frames, length)
    step = int(torch.randint(1, max_step + 1, (1,), generator=generator))
    sequence = range(0, n_frames, step)
    start = int(torch.randint(0, max(0, len(sequence) - length) + 1, (1,), generator=generator))
    chosen = sequence[start : start + length]
    return TemporalSample(tuple(_loop(chosen, length)), step, chosen[0], len(chosen) < length)


def first_frames(n_frames: int, length: int | None = None) -> TemporalSample:
    """The first `length` frames (all of them when None), looped if the video is shorter."""
    _check(n_frames, length)
    length = n_frames if length is None else length
    chosen = list(range(min(length, n_frames)))
    return TemporalSample(tuple(_loop(chosen, length)), 1, 0, len(chosen) < length)


def uniform_clips(n_frames: int, length: int, count: int) -> list[TemporalSample]:
    """`count` clips of `length` consecutive frames with starts spread evenly from first to last."""
    _check(n_frames, length)
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    last_start = max(0, n_frames - length)
    starts = [round(i * last_start / (count - 1)) if count > 1 else last_start // 2 for i in range(count)]
    clips = []
    for start in starts:
        chosen = list(range(start, min(start + length, n_frames)))
        clips.append(TemporalSample(tuple(_loop(chosen, length)), 1, start, len(chosen) < length))
    return clips
