"""Checks for the exercises of notebook 03: the architecture."""

import torch
from torch import nn

from mict.models import count_parameters, fold_time_into_batch, get_model

from ..analysis.trace import stage_lengths, trace_shapes
from . import ExerciseFailed, run_check

LENGTH_CASES = ((16, "v1"), (33, "v1"), (16, "v2"), (33, "v2"), (1, "v1"), (7, "v2"))


def check_temporal_lengths(fn, strict: bool = False):
    """fn(frames, version) -> [T after the stem, layer1, layer2, layer3, layer4] for MiCT-ResNet.

    The expected lengths come from running a (tiny) MiCT-ResNet-18 and tracing its shapes.
    """
    cases = []
    for frames, version in LENGTH_CASES:
        model = get_model("mict_resnet18", width=4, num_classes=2, version=version)
        expected = [int(t) for t in stage_lengths(trace_shapes(model, torch.zeros(1, 3, frames, 32, 32)))]
        got = fn(frames, version)
        cases.append((f"T={frames}, {version}", None if got is None else [int(t) for t in got], expected))
    return run_check("temporal length after each stage", cases, strict)


def check_fold_time(fn, strict: bool = False):
    """fn(clip N×C×T×H×W) -> frames (N·T)×C×H×W, clip-major, as `fold_time_into_batch` orders them."""
    clip = torch.arange(2 * 3 * 4 * 5 * 6, dtype=torch.float32).reshape(2, 3, 4, 5, 6)
    got = fn(clip)
    if got is None:
        return run_check("fold time into the batch", [("fold", None, None)], strict)
    expected = fold_time_into_batch(clip)[0]
    cases = [("shape of the folded 2×3×4×5×6 clip", tuple(got.shape), tuple(expected.shape))]
    if tuple(got.shape) == tuple(expected.shape):
        cases.append(("which (clip, time) frame each batch index holds (None: a mix of frames or channels)",
                      [_which_frame(clip, frame) for frame in got],
                      [(n, t) for n in range(2) for t in range(4)]))
    return run_check("fold time into the batch", cases, strict)


def _which_frame(clip: torch.Tensor, frame: torch.Tensor) -> tuple[int, int] | None:
    for n in range(clip.shape[0]):
        for t in range(clip.shape[2]):
            if torch.equal(frame, clip[n, :, t]):
                return (n, t)
    return None


def check_conv3d_parameters(fn, strict: bool = False):
    """fn(kernel (kt, kh, kw), in_channels, out_channels) -> parameters of a Conv3d without bias."""
    cases, with_bias = [], False
    for kernel, c_in, c_out in (((7, 7, 7), 3, 64), ((3, 7, 7), 3, 64), ((3, 3, 3), 64, 64), ((1, 3, 3), 64, 64)):
        expected = count_parameters(nn.Conv3d(c_in, c_out, kernel, bias=False))
        got = fn(kernel, c_in, c_out)
        with_bias |= got == expected + c_out
        cases.append((f"{'×'.join(map(str, kernel))} kernel, {c_in} → {c_out} channels", got, expected))
    result = run_check("parameters of a 3D convolution", cases, strict=False)
    if with_bias:
        result.messages.append("you counted a bias: MiCT's convolutions have none (the BatchNorm after each has one)")
    if strict and not result.passed:
        raise ExerciseFailed(str(result))
    return result
