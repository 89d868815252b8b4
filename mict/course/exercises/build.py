"""Checks for the exercises in which the student builds a piece of MiCT: the Mixed Convolutional
Tube's forward pass and 3D inflation (notebook 03), and one training step (notebook 04).

Each check runs the student's function and the library's on the same weights and the same random
inputs. When they disagree it tries the usual mistakes, on the same inputs, to say which one it
is: an error message that names the bug is worth more than "wrong".
"""

import copy

import torch
import torch.nn.functional as F
from torch import nn

from mict.models import MiCTStage, inflate_2d_kernel
from mict.train import optimisation_step

from . import CheckResult, ExerciseFailed

#: (frames, temporal stride, spatial stride) of the tube cases: every kind of stage, odd and even lengths,
#: the one-frame clip last (most mistakes show first as a wrong shape on longer clips).
TUBE_CASES = [(frames, t, s) for frames in (5, 8, 13, 1) for t, s in ((1, 1), (2, 2), (1, 2))]


def _answer(result: CheckResult, case: str, function, *args, hint=lambda error: ""):
    """The student's answer for one case, or None once `result` says why there is none: the function
    raised (its error, and `hint(error)`, are the message) or returned None (not attempted yet)."""
    try:
        got = function(*args)
    except Exception as error:  # noqa: BLE001 - the student's error is the message
        result.passed = False
        result.messages.append(f"{case}: your function raised {type(error).__name__}: {error}{hint(error)}")
        return None
    if got is None:
        result.attempted = result.passed = False
    return got


def _finish(result: CheckResult, strict: bool) -> CheckResult:
    if strict and not result.passed:
        raise ExerciseFailed(str(result))
    return result


def _tube_hint(temporal_stride: int):
    def hint(error: Exception) -> str:
        if "must match the size" in str(error):
            return (f" — the two branches must both have ceil(T / {temporal_stride}) time steps: the 3D branch has "
                    f"them when time is padded by 2 at the end only, the 2D branch when it takes frames 0, "
                    f"{temporal_stride}, {2 * temporal_stride}, … (clip[:, :, ::{temporal_stride}])")
        if "Kernel size can't be greater" in str(error):
            return " — pad time by 2 at the end, so that even a one-frame clip fits the 3×3×3 kernel"
        return ""
    return hint


def _randomised_stage(temporal_stride: int, stride: int, seed: int) -> MiCTStage:
    """A small stage in eval mode whose BatchNorms have non-trivial statistics, so that every mistake shows."""
    torch.manual_seed(seed)
    stage = MiCTStage(4, 6, blocks=2, temporal_stride=temporal_stride, stride=stride)
    generator = torch.Generator().manual_seed(seed)
    for module in stage.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=generator) * 0.2)
            module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(n, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(n, generator=generator) * 0.2)
    return stage.eval()


def _fold(clip: torch.Tensor, step: int) -> tuple[torch.Tensor, int]:
    kept = clip[:, :, ::step]
    n, c, t, h, w = kept.shape
    return kept.transpose(1, 2).reshape(n * t, c, h, w), t


def _unfold(frames: torch.Tensor, time: int) -> torch.Tensor:
    nt, c, h, w = frames.shape
    return frames.reshape(nt // time, time, c, h, w).transpose(1, 2)


def _variant(stage: MiCTStage, clip: torch.Tensor, *, time_padding=(0, 2), three_d=True, relu=True, rest=True,
             time_major=False) -> torch.Tensor:
    """The tube's forward pass with one thing changed: what the usual mistakes compute."""
    frames, time = _fold(clip, stage.temporal_stride)
    appearance = _unfold(stage.blocks[0](frames), time)
    mixed = appearance
    if three_d:
        motion = stage.bn3d(stage.conv3d(F.pad(clip, (1, 1, 1, 1, *time_padding))))
        motion = stage.relu(motion) if relu else motion
        if motion.shape != appearance.shape:
            return motion  # a shape the sum would refuse
        mixed = motion + appearance
    if not rest:
        return mixed
    if time_major:  # folded (T·N) but unfolded as clip-major: frames of different clips mixed up
        n, c, t, h, w = mixed.shape
        frames = mixed.permute(2, 0, 1, 3, 4).reshape(t * n, c, h, w)
    else:
        frames, time = _fold(mixed, 1)
    for block in stage.blocks[1:]:
        frames = block(frames)
    return _unfold(frames, mixed.shape[2])


TUBE_MISTAKES = {
    "your 3D branch looks back in time: MiCT pads time at the END only (F.pad(..., (1, 1, 1, 1, 0, 2))), "
    "so that output step t sees frames t·s … t·s+2 and lines up with the 2D branch's frame t·s":
        dict(time_padding=(1, 1)),
    "the 3D branch is missing: the tube is the SUM of the 3D branch and the 2D block": dict(three_d=False),
    "the 3D branch has no ReLU after its BatchNorm": dict(relu=False),
    "you returned the tube's sum: the stage then passes it through its remaining BasicBlocks, frame by frame":
        dict(rest=False),
    "frames of different clips got mixed: fold and unfold must use the same order (clip-major: index n·T + t)":
        dict(time_major=True),
}


def check_tube_forward(tube_forward, strict: bool = False) -> CheckResult:
    """`tube_forward(stage, clip)` → what `stage(clip)` returns, for a MiCTStage and an N×C×T×H×W clip."""
    result = CheckResult("the Mixed Convolutional Tube's forward pass", passed=True)
    for seed, (frames, temporal_stride, stride) in enumerate(TUBE_CASES):
        stage = _randomised_stage(temporal_stride, stride, seed)
        clip = torch.randn(2, 4, frames, 8, 8, generator=torch.Generator().manual_seed(100 + seed))
        case = f"T={frames}, temporal stride {temporal_stride}, spatial stride {stride}"
        with torch.no_grad():
            expected = stage(clip)
            got = _answer(result, case, tube_forward, stage, clip.clone(), hint=_tube_hint(temporal_stride))
            if got is None:
                break
            if tuple(got.shape) != tuple(expected.shape):
                result.passed = False
                result.messages.append(
                    f"{case}: expected shape {tuple(expected.shape)}, got {tuple(got.shape)}. Both branches must "
                    f"have ceil(T / temporal stride) = {expected.shape[2]} steps: pad time by 2 at the end only, "
                    f"and give the 2D block frames 0, {temporal_stride}, {2 * temporal_stride}, …")
                break
            if torch.allclose(got, expected, atol=1e-5, rtol=1e-4):
                continue
            result.passed = False
            diagnosis = next((why for why, mistake in TUBE_MISTAKES.items()
                              if torch.allclose(got, _variant(stage, clip, **mistake), atol=1e-5, rtol=1e-4)), None)
            wrong_steps = (got - expected).abs().amax(dim=(0, 1, 3, 4)).gt(1e-4).nonzero().flatten().tolist()
            result.messages.append(f"{case}: the values differ at time steps {wrong_steps} (largest difference "
                                   f"{(got - expected).abs().max():.3g})" + (f": {diagnosis}" if diagnosis else ""))
            break
    return _finish(result, strict)


def check_inflation(inflate, strict: bool = False) -> CheckResult:
    """`inflate(weight, time)` → a out×in×time×k×k kernel that, on a clip of identical frames, gives
    exactly the 2D convolution's output at every time step."""
    result = CheckResult("3D inflation of a 2D kernel", passed=True)
    generator = torch.Generator().manual_seed(0)
    for time, kernel in ((3, 3), (7, 7), (1, 3)):
        weight = torch.randn(5, 3, kernel, kernel, generator=generator)
        frame = torch.randn(1, 3, 12, 12, generator=generator)
        got = _answer(result, f"time {time}", inflate, weight.clone(), time)
        if got is None:
            break
        expected = inflate_2d_kernel(weight, time)
        case = f"a {kernel}×{kernel} kernel inflated to {time} frames"
        if tuple(got.shape) != tuple(expected.shape):
            result.passed = False
            result.messages.append(f"{case}: expected shape {tuple(expected.shape)} (out, in, time, height, width), "
                                   f"got {tuple(got.shape)}: insert time as dimension 2")
            break
        static = frame.unsqueeze(2).expand(-1, -1, time + 4, -1, -1)
        three_d = F.conv3d(static, got, padding=(0, kernel // 2, kernel // 2))
        two_d = F.conv2d(frame, weight, padding=kernel // 2)
        if torch.allclose(three_d, two_d.unsqueeze(2).expand_as(three_d), atol=1e-4, rtol=1e-4):
            continue
        result.passed = False
        if torch.allclose(got, expected * time, atol=1e-5, rtol=1e-5) and time > 1:
            why = (f"every step is {time}× the 2D output: the 3D kernel sums {time} copies of the frame, so divide "
                   f"the repeated kernel by {time}")
        else:
            why = "the 3D output is not the 2D output: repeat the 2D kernel along time and divide by the repeats"
        result.messages.append(f"{case}, on a clip of identical frames: {why}")
        break
    return _finish(result, strict)


def _tiny_classifier(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv3d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool3d(1), nn.Flatten(),
                         nn.Dropout(0.0), nn.Linear(4, 5))


def check_training_step(training_step, strict: bool = False) -> CheckResult:
    """`training_step(model, optimizer, clips, labels)` → the loss (a float), after one optimisation step
    on N×3×T×H×W clips, exactly as the library's `mict.train.optimisation_step` takes it."""
    result = CheckResult("one training step", passed=True)
    generator = torch.Generator().manual_seed(0)
    batches = [(torch.randn(4, 3, 4, 8, 8, generator=generator), torch.randint(0, 5, (4,), generator=generator))
               for _ in range(2)]
    mine, reference = _tiny_classifier(0), _tiny_classifier(0)
    mine_optimizer = torch.optim.SGD(mine.parameters(), lr=0.1, momentum=0.9)
    reference_optimizer = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    for step, (clips, labels) in enumerate(batches, start=1):
        expected_loss, _ = optimisation_step(reference, reference_optimizer, clips, labels)
        before = copy.deepcopy(mine.state_dict())
        loss = _answer(result, f"step {step}", training_step, mine, mine_optimizer, clips.clone(), labels.clone())
        if loss is None:
            break
        loss = float(loss)
        unchanged = all(torch.equal(before[k], v) for k, v in mine.state_dict().items())
        same_weights = all(torch.allclose(a, b, atol=1e-6) for a, b in zip(mine.state_dict().values(),
                                                                           reference.state_dict().values(),
                                                                           strict=True))
        if abs(loss - expected_loss) > 1e-5 * max(1.0, abs(expected_loss)):
            result.passed = False
            result.messages.append(f"step {step}: expected the loss {expected_loss:.5f} (cross-entropy of the "
                                   f"logits and the labels, before the update), got {loss:.5f}")
            break
        if unchanged:
            result.passed = False
            result.messages.append(f"step {step}: the weights did not change: call loss.backward() and then "
                                   f"optimizer.step()")
            break
        if not same_weights:
            result.passed = False
            hint = (" The first step was right, the second not: clear the gradients each step "
                    "(optimizer.zero_grad()), or they add up.") if step == 2 else ""
            result.messages.append(f"step {step}: the weights after the step differ from the library's.{hint}")
            break
    return _finish(result, strict)
