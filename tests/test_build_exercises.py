"""The build-it-yourself exercises: the solutions pass, and typical mistakes get messages that name them."""

import pytest
import torch
import torch.nn.functional as F

from mict.course.exercises import ExerciseFailed
from mict.course.exercises.build import (
    TUBE_CASES,
    _randomised_stage,
    _variant,
    check_inflation,
    check_training_step,
    check_tube_forward,
)


def tube(stage, clip, *, time_padding=(0, 2), three_d=True, subsample=True, rest=True):
    """A student's tube, correct by default; each keyword makes one of the usual mistakes."""
    step = stage.temporal_stride
    motion = stage.relu(stage.bn3d(stage.conv3d(F.pad(clip, (1, 1, 1, 1, *time_padding)))))
    kept = clip[:, :, ::step] if subsample else clip
    n, c, t, h, w = kept.shape
    frames = stage.blocks[0](kept.transpose(1, 2).reshape(n * t, c, h, w))
    appearance = frames.reshape(n, t, *frames.shape[1:]).transpose(1, 2)
    mixed = motion + appearance if three_d else appearance
    if not rest:
        return mixed
    n, c, t, h, w = mixed.shape
    frames = mixed.transpose(1, 2).reshape(n * t, c, h, w)
    for block in stage.blocks[1:]:
        frames = block(frames)
    return frames.reshape(n, t, *frames.shape[1:]).transpose(1, 2)


def test_the_mistake_free_variant_is_the_stage_itself():
    for seed, (frames, temporal_stride, stride) in enumerate(TUBE_CASES):
        stage = _randomised_stage(temporal_stride, stride, seed)
        clip = torch.randn(2, 4, frames, 8, 8)
        with torch.no_grad():
            torch.testing.assert_close(_variant(stage, clip), stage(clip))


def test_a_correct_tube_passes_for_every_length_and_stride():
    assert check_tube_forward(tube, strict=True).passed


@pytest.mark.parametrize("mistake, message", [
    (dict(time_padding=(1, 1)), "pads time at the END only"),
    (dict(three_d=False), "the 3D branch is missing"),
    (dict(rest=False), "remaining BasicBlocks"),
    (dict(subsample=False), "frames 0, 2, 4, … (clip[:, :, ::2])"),
    (dict(time_padding=(0, 0)), "padded by 2 at the end only"),
])
def test_typical_tube_mistakes_are_named(mistake, message):
    result = check_tube_forward(lambda stage, clip: tube(stage, clip, **mistake))
    assert not result.passed and result.attempted
    assert message in str(result), str(result)
    with pytest.raises(ExerciseFailed):
        check_tube_forward(lambda stage, clip: tube(stage, clip, **mistake), strict=True)


def test_an_unfinished_or_crashing_tube():
    assert not check_tube_forward(lambda stage, clip: None).attempted
    crashed = check_tube_forward(lambda stage, clip: clip.view(-1, 3))
    assert "your function raised RuntimeError" in str(crashed)


def test_inflation_checks_on_a_static_clip():
    assert check_inflation(lambda w, t: w.unsqueeze(2).repeat(1, 1, t, 1, 1) / t, strict=True).passed
    undivided = check_inflation(lambda w, t: w.unsqueeze(2).repeat(1, 1, t, 1, 1))
    assert "divide the repeated kernel by 3" in str(undivided)
    wrong_axis = check_inflation(lambda w, t: w.unsqueeze(0).repeat(t, 1, 1, 1, 1) / t)
    assert "insert time as dimension 2" in str(wrong_axis)
    assert not check_inflation(lambda w, t: None).attempted


def step(model, optimizer, clips, labels, *, zero_grad=True, backward=True):
    if zero_grad:
        optimizer.zero_grad()
    loss = F.cross_entropy(model(clips), labels)
    if backward:
        loss.backward()
        optimizer.step()
    return loss.item()


def test_the_training_step_is_checked_against_the_librarys():
    assert check_training_step(step, strict=True).passed
    no_zero = check_training_step(lambda *a: step(*a, zero_grad=False))
    assert "clear the gradients each step" in str(no_zero)
    no_step = check_training_step(lambda *a: step(*a, backward=False))
    assert "the weights did not change" in str(no_step)
    wrong_loss = check_training_step(lambda m, o, c, y: step(m, o, c, y) * 2)
    assert "expected the loss" in str(wrong_loss)
    assert not check_training_step(lambda *a: None).attempted
