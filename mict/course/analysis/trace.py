"""Looking inside a forward pass: shapes, branches, FLOPs and transferred weights.

* `trace_shapes`: the N×C×T×H×W shape after the stem and each stage, branch by branch
  (for MiCT: the 3D branch, the 2D branch and their sum), with forward hooks; `temporal_lengths`
  tabulates the time steps left after each stage;
* `tube_branches`: the two branches of one Mixed Convolutional Tube and their sum, as tensors;
* `flops_by_layer`: where a forward pass's FLOPs go, split between 3D and 2D convolutions;
* `inflation_gap` and `weight_transfer_table`: what ImageNet transfer does to each model.
"""

import copy
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from mict.models.frame_resnet import FrameResNet
from mict.models.mict_resnet import TEMPORAL_STRIDES, MiCTResNet, MiCTStage, MiCTStem
from mict.models.resnet3d import ResNet3d
from mict.models.weights import (
    IMAGENET_NAMES,
    inflate_2d_kernel,
    rename,
    transfer_imagenet_weights,
)

STAGES = ("layer1", "layer2", "layer3", "layer4")


# --- Hooks ----------------------------------------------------------------------------------------

@contextmanager
def recording_outputs(points: list[tuple[str, nn.Module]]) -> Iterator[list[tuple[str, torch.Tensor]]]:
    """Record (label, output) of each module in `points`, in the order the forward pass calls them."""
    calls: list[tuple[str, torch.Tensor]] = []
    handles = [module.register_forward_hook(lambda m, args, out, label=label: calls.append((label, out.detach())))
               for label, module in points]
    try:
        yield calls
    finally:
        for handle in handles:
            handle.remove()


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """`model` in eval mode for the block (BatchNorm uses its running statistics), then as it was."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def as_clip(tensor: torch.Tensor, batch: int) -> torch.Tensor:
    """A 2D layer's (N·T)×C×H×W output seen as the N×C×T×H×W clip it came from."""
    if tensor.dim() == 5:
        return tensor
    nt, c, h, w = tensor.shape
    return tensor.reshape(batch, nt // batch, c, h, w).transpose(1, 2)


# --- Shapes ---------------------------------------------------------------------------------------

def trace_points(model: nn.Module) -> list[tuple[tuple[str, str, str], nn.Module]]:
    """((layer, branch, what it is), module) for every output worth tracing, in forward order."""
    if isinstance(model, MiCTResNet):
        k = model.temporal_kernel
        points = [(("stem", "3D", f"{k}×7×7 conv + 3×3×3 max-pool"), model.stem.pool3d),
                  (("stem", "2D", "7×7 conv + 3×3 max-pool, frames 0, 2, 4, …"), model.stem.pool2d),
                  (("stem", "sum", "3D + 2D"), model.stem)]
        for name in STAGES:
            stage = getattr(model, name)
            t = stage.temporal_stride
            frames = "every frame" if t == 1 else f"frames 0, {t}, {2 * t}, …"
            more = len(stage.blocks) - 1
            points += [((name, "3D", f"3×3×3 conv, time stride {t}"), stage.relu),
                       ((name, "2D", f"BasicBlock on {frames}"), stage.blocks[0]),
                       ((name, "sum", f"3D + 2D, then {more} BasicBlock{'s' if more > 1 else ''}"), stage)]
        return points
    if isinstance(model, ResNet3d | FrameResNet):
        branch = "3D" if isinstance(model, ResNet3d) else "2D"
        stem = "7×7×7 conv + 3×3×3 max-pool" if branch == "3D" else "7×7 conv + 3×3 max-pool, every frame"
        points = [(("stem", branch, stem), model.maxpool)]
        return points + [((name, branch, f"{len(getattr(model, name))} BasicBlocks"), getattr(model, name))
                         for name in STAGES]
    # torchvision's VideoResNet (r3d_18, mc3_18, r2plus1d_18)
    return [((name, "video", type(getattr(model, name)).__name__), getattr(model, name))
            for name in ("stem", *STAGES)]


def trace_shapes(model: nn.Module, clip: torch.Tensor) -> pd.DataFrame:
    """The shape of every traced output for one forward pass on `clip`, as N×C×T×H×W.

    Columns: layer, branch (3D, 2D or sum for MiCT), what, shape, channels, time, height, width.
    2D layers' outputs are unfolded back into clips, so every row reads the same way.
    """
    with evaluating(model), recording_outputs(trace_points(model)) as calls, torch.inference_mode():
        model(clip)
    rows = [_shape_row(("input", "", "clip"), clip, clip.shape[0])]
    rows += [_shape_row(label, output, clip.shape[0]) for label, output in calls]
    return pd.DataFrame(rows)


def _shape_row(label: tuple[str, str, str], tensor: torch.Tensor, batch: int) -> dict:
    n, c, t, h, w = as_clip(tensor, batch).shape
    layer, branch, what = label
    return {"layer": layer, "branch": branch, "what": what, "shape": f"{n}×{c}×{t}×{h}×{w}",
            "channels": c, "time": t, "height": h, "width": w}


def stage_lengths(trace: pd.DataFrame) -> pd.Series:
    """Time steps after the stem and each stage: the MiCT sums (or the only branch), by layer."""
    last = trace[trace["layer"] != "input"].groupby("layer", sort=False).tail(1)
    return last.set_index("layer")["time"]


def temporal_lengths(models: dict[str, nn.Module], clip_lengths, size: int = 32) -> pd.DataFrame:
    """Time steps at the input and after each stage, for each model and clip length (long format:
    model, frames, layer, time). Time does not depend on the frame size, so `size` is small."""
    rows = []
    for label, model in models.items():
        for frames in clip_lengths:
            lengths = stage_lengths(trace_shapes(model, torch.zeros(1, 3, frames, size, size)))
            rows.append({"model": label, "frames": frames, "layer": "input", "time": frames})
            rows += [{"model": label, "frames": frames, "layer": layer, "time": int(time)}
                     for layer, time in lengths.items()]
    return pd.DataFrame(rows)


# --- The two branches of a tube -------------------------------------------------------------------

def tube_branches(tube: MiCTStem | MiCTStage, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The 3D branch, the 2D branch (unfolded into a clip) and their sum, each N×C×T×H×W.

    The sum is the cross-domain residual the tube passes on: for the stem it is the stem's
    output; a stage passes it through its remaining 2D blocks.
    """
    if isinstance(tube, MiCTStem):
        points = [("3D", tube.pool3d), ("2D", tube.pool2d)]
    elif isinstance(tube, MiCTStage):
        points = [("3D", tube.relu), ("2D", tube.blocks[0])]
    else:
        raise TypeError(f"expected a MiCTStem or a MiCTStage, got {type(tube).__name__}")
    with evaluating(tube), recording_outputs(points) as calls, torch.inference_mode():
        tube(x)
    branches = {label: as_clip(output, x.shape[0]).clone() for label, output in calls}
    branches["sum"] = branches["3D"] + branches["2D"]
    return branches


# --- FLOPs ----------------------------------------------------------------------------------------

LEAF_KINDS = ((nn.Conv3d, "3D conv"), (nn.Conv2d, "2D conv"), (nn.Linear, "other"))


def flops_by_layer(model: nn.Module, clip: torch.Tensor) -> pd.DataFrame:
    """GFLOPs of each top-level layer, split into 3D convolutions, 2D convolutions and the rest."""
    counter = FlopCounterMode(display=False)
    with evaluating(model), counter, torch.inference_mode():
        model(clip)
    counts = {name: sum(ops.values()) for name, ops in counter.get_flop_counts().items()}
    root = type(model).__name__
    rows: dict[str, dict[str, float]] = {}
    for name, module in model.named_modules():
        kind = next((k for cls, k in LEAF_KINDS if isinstance(module, cls)), None)
        if kind is None:
            continue
        layer = rows.setdefault(name.split(".")[0], {"3D conv": 0.0, "2D conv": 0.0, "other": 0.0})
        layer[kind] += counts.get(f"{root}.{name}", 0) / 1e9
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("layer").reset_index()
    table["total"] = table[["3D conv", "2D conv", "other"]].sum(axis=1)
    table["share_%"] = 100 * table["total"] / table["total"].sum()
    return table


# --- ImageNet weights, transfer and inflation -----------------------------------------------------

def random_resnet_2d_state_dict(depth: int = 18, width: int = 64, seed: int = 0) -> dict:
    """A 2D ResNet's weights under torchvision's names, random (with non-trivial BN statistics):
    a stand-in for ImageNet's when they cannot be had."""
    torch.manual_seed(seed)
    frames = FrameResNet(depth=depth, width=width, num_classes=1000)
    generator = torch.Generator().manual_seed(seed)
    for m in frames.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
    return {k.replace("head.fc.", "fc."): v for k, v in frames.state_dict().items()}


def inflation_gap(state_2d: dict, frame: torch.Tensor, frames: int = 64) -> pd.DataFrame:
    """How far the inflated 3D-ResNet's activations are from the 2D ResNet's on a static clip.

    `frame` (1×3×H×W) is repeated `frames` times. One row per (stage, time step): `gap` is
    max |3D − 2D| over channels and space, `relative_gap` that over max |2D|, and
    `padding_reaches` whether the zero padding of time reaches the step (`time_padding_reach`).
    The steps it does not reach equal the 2D activations up to float rounding.
    """
    depth = 34 if "layer1.2.conv1.weight" in state_2d else 18
    width = state_2d["conv1.weight"].shape[0]
    net2d = FrameResNet(depth=depth, width=width).eval()
    net3d = ResNet3d(depth=depth, width=width).eval()
    for net in (net2d, net3d):
        transfer_imagenet_weights(net, state_2d)
    static = frame.unsqueeze(2).expand(-1, -1, frames, -1, -1)
    expected, got = _stage_outputs(net2d, frame.unsqueeze(2)), _stage_outputs(net3d, static)
    reach = time_padding_reach(net3d, static)
    rows = []
    for stage, target in expected.items():
        scale = target.abs().max().item()
        for step, output in enumerate(got[stage].unbind(2)):
            gap = (output - target[:, :, 0]).abs().max().item()
            rows.append({"stage": stage, "step": step, "gap": gap, "relative_gap": gap / scale,
                         "padding_reaches": reach[stage][step]})
    table = pd.DataFrame(rows)
    table.attrs["frames"] = frames
    return table


def _stage_outputs(net: ResNet3d | FrameResNet, clip: torch.Tensor) -> dict[str, torch.Tensor]:
    points = [("stem", net.maxpool)] + [(name, getattr(net, name)) for name in STAGES]
    with recording_outputs(points) as calls, torch.inference_mode():
        net(clip)
    return {label: as_clip(output, clip.shape[0]) for label, output in calls}


def time_padding_reach(net: ResNet3d, clip: torch.Tensor) -> dict[str, list[bool]]:
    """For each stage, which output time steps depend on the zero padding of time.

    A copy of `net` pads time with NaN instead of zeros; NaN spreads to exactly the outputs
    that padding feeds (max-pooling's own padding is −∞, which never wins a max).
    """
    probe = copy.deepcopy(net)
    for module in probe.modules():
        if isinstance(module, nn.Conv3d) and module.padding[0] > 0:
            pad = module.padding[0]
            module.padding = (0, *module.padding[1:])
            module.register_forward_pre_hook(
                lambda m, args, pad=pad: (F.pad(args[0], (0, 0, 0, 0, pad, pad), value=float("nan")),))
    outputs = _stage_outputs(probe, torch.zeros_like(clip))
    return {stage: [bool(step.isnan().any()) for step in output.unbind(2)] for stage, output in outputs.items()}


def distance_from_the_2d_network(state_2d: dict, clip: torch.Tensor, seed: int = 0) -> pd.DataFrame:
    """How far a freshly built MiCT-ResNet with 2D weights `state_2d` is from the 2D network they came from.

    MiCT's 2D path, on the frames it keeps, computes exactly what the 2D ResNet computes on those
    frames; its 3D branches, freshly initialised (Kaiming weights, unit BatchNorm), are summed into
    every tube's output. One row per stage: the relative distance ‖MiCT − 2D‖ / ‖2D‖ of the stage's
    output from the 2D ResNet's on the same frames, with every 3D branch on and with all of them off
    (a control that must be 0). Both networks in eval mode.
    """
    depth = 34 if "layer1.2.conv1.weight" in state_2d else 18
    width = state_2d["conv1.weight"].shape[0]
    torch.manual_seed(seed)
    mict = MiCTResNet(depth=depth, width=width).eval()
    frame = FrameResNet(depth=depth, width=width).eval()
    for net in (mict, frame):
        transfer_imagenet_weights(net, state_2d)
    reference = _stage_outputs(frame, clip)
    points = [("stem", mict.stem)] + [(name, getattr(mict, name)) for name in STAGES]
    strides = TEMPORAL_STRIDES[mict.version]
    frame_step = {"stem": 2 * strides[0]}  # which frames each stage's output keeps: 0, s, 2s, …
    for i, name in enumerate(STAGES):
        frame_step[name] = frame_step["stem" if i == 0 else STAGES[i - 1]] * strides[i + 1]
    rows = {}
    for label, switched_off in (("3D branches on", False), ("3D branches off", True)):
        for tube in mict.tubes().values():
            tube.use_3d = not switched_off
        with recording_outputs(points) as calls, torch.inference_mode():
            mict(clip)
        for stage, output in calls:
            target = reference[stage][:, :, :: frame_step[stage]]
            rows.setdefault(stage, {"stage": stage, "time steps": output.shape[2]})[label] = float(
                (output - target).norm() / target.norm())
    return pd.DataFrame(list(rows.values()))


def weight_transfer_table(model: nn.Module, state_2d: dict) -> pd.DataFrame:
    """Where each of `model`'s parameters comes from after `transfer_imagenet_weights(model, state_2d)`.

    One row per parameter tensor: source ('copied', 'inflated ×k' or 'new'), its size, and
    whether it holds exactly what the transfer promises (copy, or `inflate_2d_kernel`).
    """
    origin = {rename(key, IMAGENET_NAMES[type(model)]): key for key in state_2d if not key.startswith("fc.")}
    rows = []
    for name, param in model.named_parameters():
        key = origin.get(name)
        if key is None:
            source, matches = "new", True
        elif param.dim() == state_2d[key].dim():
            source, matches = "copied", torch.equal(param, state_2d[key])
        else:
            k = param.shape[2]
            source, matches = f"inflated ×{k}", torch.allclose(param, inflate_2d_kernel(state_2d[key], k))
        rows.append({"parameter": name, "from": key or "", "source": source, "numel": param.numel(),
                     "matches": bool(matches)})
    return pd.DataFrame(rows)
