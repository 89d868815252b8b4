"""Notebook 03's library code: the shape tracer, the tube's branches, FLOPs per layer, ImageNet
inflation, the figures, the architecture widget and the exercise checks."""

import math

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import torch
import torchvision
from torch import nn

from mict.bench import count_flops
from mict.course.analysis.trace import (
    flops_by_layer,
    inflation_gap,
    random_resnet_2d_state_dict,
    stage_lengths,
    time_padding_reach,
    trace_shapes,
    tube_branches,
    weight_transfer_table,
)
from mict.course.exercises import ExerciseFailed
from mict.course.exercises.architecture import (
    check_conv3d_parameters,
    check_fold_time,
    check_temporal_lengths,
)
from mict.course.viz import architecture as viz
from mict.course.viz import save_figure
from mict.course.widgets.architecture import ArchitectureWidget
from mict.models import (
    PretrainedWeightsUnavailable,
    count_parameters,
    fold_time_into_batch,
    get_model,
    imagenet_state_dict,
    transfer_imagenet_weights,
    unfold_time_from_batch,
)
from mict.models.mict_resnet import MiCTStage

SMALL = dict(width=8, num_classes=5)
STRIDES = {"v1": (2, 1, 2, 2, 2), "v2": (2, 1, 1, 2, 1)}  # the stem's max-pool halves time


def expected_lengths(frames: int, version: str) -> list[int]:
    lengths, t = [], frames
    for s in STRIDES[version]:
        t = math.ceil(t / s)
        lengths.append(t)
    return lengths


# --- trace_shapes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("frames", [1, 16, 33])
def test_trace_of_mict_follows_ceil_arithmetic(version, frames):
    model = get_model("mict_resnet18", version=version, **SMALL)
    trace = trace_shapes(model, torch.randn(2, 3, frames, 32, 48))
    assert list(trace["layer"]) == ["input"] + [layer for layer in ("stem", "layer1", "layer2", "layer3", "layer4")
                                                for _ in range(3)]
    assert list(trace["branch"][1:4]) == ["3D", "2D", "sum"]
    assert trace["shape"].iloc[0] == f"2×3×{frames}×32×48"
    assert list(stage_lengths(trace)) == expected_lengths(frames, version)
    for _, rows in trace[trace["layer"] != "input"].groupby("layer"):
        assert rows["shape"].nunique() == 1  # both branches and their sum have one shape
    assert trace["channels"].iloc[-1] == 64 and tuple(trace[["height", "width"]].iloc[-1]) == (1, 2)


def test_trace_leaves_no_hooks_and_restores_the_mode():
    model = get_model("mict_resnet18", **SMALL).train()
    trace_shapes(model, torch.randn(1, 3, 4, 32, 32))
    assert model.training
    assert all(not m._forward_hooks for m in model.modules())


@pytest.mark.parametrize("name, branch, last", [("resnet3d_18", "3D", "1×64×3×1×1"), ("frame_resnet18", "2D",
                                                                                     "1×64×33×1×1")])
def test_trace_of_the_baselines(name, branch, last):
    trace = trace_shapes(get_model(name, **SMALL), torch.randn(1, 3, 33, 32, 32))
    assert list(trace["layer"]) == ["input", "stem", "layer1", "layer2", "layer3", "layer4"]
    assert set(trace["branch"][1:]) == {branch}
    assert trace["shape"].iloc[-1] == last


def test_trace_of_a_torchvision_video_resnet():
    trace = trace_shapes(get_model("r2plus1d_18", num_classes=3), torch.randn(1, 3, 8, 32, 32))
    assert list(trace["time"]) == [8, 8, 8, 4, 2, 1]
    assert trace["channels"].iloc[-1] == 512


# --- The tube's branches ---------------------------------------------------------------------------

def test_stem_branches_sum_to_the_stem_output():
    model = get_model("mict_resnet18", **SMALL).eval()
    clip = torch.randn(2, 3, 7, 32, 32)
    branches = tube_branches(model.stem, clip)
    with torch.no_grad():
        torch.testing.assert_close(branches["sum"], model.stem(clip))
    assert {k: v.shape[2] for k, v in branches.items()} == {"3D": 4, "2D": 4, "sum": 4}


def test_stage_branches_are_what_the_stage_computes():
    torch.manual_seed(0)
    stage = MiCTStage(8, 16, blocks=2, temporal_stride=2, stride=2).eval()
    x = torch.randn(2, 8, 5, 8, 8)
    branches = tube_branches(stage, x)
    with torch.no_grad():
        frames, time = fold_time_into_batch(branches["sum"])
        torch.testing.assert_close(unfold_time_from_batch(stage.blocks[1](frames), time), stage(x))
        frames, time = fold_time_into_batch(x, time_stride=2)
        torch.testing.assert_close(branches["2D"], unfold_time_from_batch(stage.blocks[0](frames), time))


@pytest.mark.parametrize("frames", range(1, 10))
def test_end_padding_aligns_the_branches_for_any_length(frames):
    stage = MiCTStage(4, 4, blocks=2, temporal_stride=2, stride=1)
    branches = tube_branches(stage, torch.randn(1, 4, frames, 6, 6))
    assert branches["3D"].shape == branches["2D"].shape
    assert branches["3D"].shape[2] == math.ceil(frames / 2)


def test_tube_branches_refuses_other_modules():
    with pytest.raises(TypeError, match="MiCTStem or a MiCTStage"):
        tube_branches(nn.Conv3d(3, 3, 1), torch.randn(1, 3, 2, 4, 4))


# --- FLOPs ----------------------------------------------------------------------------------------

def test_flops_by_layer_add_up_and_split_by_kind():
    clip = torch.randn(1, 3, 8, 32, 32)
    mict = get_model("mict_resnet18", **SMALL).eval()
    table = flops_by_layer(mict, clip)
    assert list(table["layer"]) == ["stem", "layer1", "layer2", "layer3", "layer4", "head"]
    assert math.isclose(table["total"].sum() * 1e9, count_flops(mict, clip), rel_tol=1e-9)
    assert math.isclose(table["share_%"].sum(), 100)
    stem = table.set_index("layer").loc["stem"]
    assert stem["3D conv"] > stem["2D conv"] > 0  # the k×7×7 3D kernel dominates the stem
    r3d = flops_by_layer(get_model("resnet3d_18", **SMALL), clip)
    assert r3d["2D conv"].sum() == 0 and r3d["3D conv"].sum() > 0


# --- ImageNet weights and inflation ---------------------------------------------------------------

def test_random_2d_weights_have_torchvision_names():
    state = random_resnet_2d_state_dict(18, 64, seed=1)
    torchvision.models.resnet18(num_classes=1000).load_state_dict(state)  # strict: every name fits
    assert not torch.equal(state["bn1.running_var"], torch.ones(64))
    assert torch.equal(random_resnet_2d_state_dict(18, 64, seed=1)["conv1.weight"], state["conv1.weight"])


def test_imagenet_weights_are_used_only_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(PretrainedWeightsUnavailable, match="not in torchvision's cache"):
        imagenet_state_dict(18, download=False)
    state = random_resnet_2d_state_dict(18, 64)
    cached = tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    cached.parent.mkdir(parents=True)
    torch.save(state, cached)
    assert torch.equal(imagenet_state_dict(18, download=False)["fc.weight"], state["fc.weight"])


def test_inflated_3d_resnet_equals_2d_where_padding_does_not_reach():
    state = random_resnet_2d_state_dict(18, width=4)
    frame = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    gaps = inflation_gap(state, frame, frames=64)
    assert gaps.groupby("stage", sort=False).size().to_dict() == {
        "stem": 32, "layer1": 32, "layer2": 16, "layer3": 8, "layer4": 4}
    clean = gaps[~gaps["padding_reaches"]]
    assert len(clean) > 40 and clean["relative_gap"].max() < 1e-4
    edges = gaps[gaps["step"] == 0]
    assert edges["padding_reaches"].all() and (edges["relative_gap"] > 1e-3).all()


def test_padding_probe_leaves_the_network_untouched():
    net = get_model("resnet3d_18", **SMALL).eval()
    clip = torch.randn(1, 3, 16, 32, 32)
    with torch.no_grad():
        before = net(clip)
    reach = time_padding_reach(net, clip)
    assert reach["stem"] == [True] * 2 + [False] * 4 + [True] * 2  # the 7×7×7 conv pads 3 frames each side
    assert all(m.padding[0] > 0 for m in net.modules() if isinstance(m, nn.Conv3d) and m.kernel_size[0] > 1)
    with torch.no_grad():
        torch.testing.assert_close(net(clip), before)


@pytest.mark.parametrize("name, sources", [("mict_resnet18", {"copied", "new"}),
                                           ("resnet3d_18", {"copied", "inflated ×1", "inflated ×3", "inflated ×7",
                                                            "new"})])
def test_weight_transfer_table_accounts_for_every_parameter(name, sources):
    state = random_resnet_2d_state_dict(18, 8)
    model = get_model(name, **SMALL)
    transfer_imagenet_weights(model, state)
    table = weight_transfer_table(model, state)
    assert set(table["source"]) == sources
    assert table["matches"].all()
    assert table["numel"].sum() == count_parameters(model)
    new = table.loc[table["source"] == "new", "parameter"]
    if name == "mict_resnet18":
        assert all("conv3d" in p or "bn3d" in p or p.startswith("head.") for p in new)
        assert table.loc[table["parameter"] == "stem.conv2d.weight", "source"].item() == "copied"


# --- Figures --------------------------------------------------------------------------------------

def test_toy_clip_shows_what_a_temporal_difference_sees():
    clip = viz.toy_motion_clip(frames=6, size=9)
    conv3d = nn.Conv3d(1, 1, (2, 1, 1), bias=False)
    with torch.no_grad():
        conv3d.weight.copy_(torch.tensor([-1.0, 1.0]).view(1, 1, 2, 1, 1))
        change = conv3d(clip)
    assert change.shape == (1, 1, 5, 9, 9)
    assert change[..., 1:3, 1:3].abs().sum() == 0  # the still square vanishes
    assert change[0, 0, 0, 6, 2] == 1 and change[0, 0, 0, 6, 1] == -1  # the dot's move remains


def _figures():
    clip = viz.toy_motion_clip()
    lengths = pd.DataFrame({"model": ["a"] * 3 + ["b"] * 3, "frames": [16] * 6,
                            "layer": ["input", "stem", "layer1"] * 2, "time": [16, 8, 8, 16, 16, 16]})
    costs = pd.DataFrame({"model": ["m", "r"], "params": [16e6, 33e6], "gflops_per_clip": [25.2, 33.5],
                          "frames_per_s": [100.0, 40.0], "threads": [2, 2], "reported_fps": [1981, float("nan")],
                          "first_kernel": [3, 7]})
    gaps = pd.DataFrame({"stage": ["stem"] * 4, "step": range(4), "relative_gap": [0.1, 1e-7, 0.0, 0.2],
                         "padding_reaches": [True, False, False, True]})
    trace = trace_shapes(get_model("mict_resnet18", **SMALL), torch.zeros(1, 3, 8, 32, 32))
    video = torch.randn(1, 3, 8, 32, 32, generator=torch.Generator().manual_seed(0))
    branches = tube_branches(get_model("mict_resnet18", **SMALL).stem, video)
    return {
        "conv": lambda: viz.plot_conv2d_vs_conv3d(clip, clip, clip[:, :, 1:] - clip[:, :, :-1]),
        "fold": lambda: viz.plot_fold(2, 3),
        "alignment": lambda: viz.plot_time_alignment(9, 3, 2),
        "stem_alignment": lambda: viz.plot_time_alignment(4, 7, 1),
        "branches": lambda: viz.plot_tube_branches(video, branches),
        "lengths": lambda: viz.plot_temporal_lengths(lengths),
        "costs": lambda: viz.plot_model_costs(costs),
        "kernels": lambda: viz.plot_kernel_costs(costs),
        "inflation": lambda: viz.plot_inflation_gap(gaps, "random"),
        "view": lambda: viz.plot_architecture_view(trace, "title"),
    }


def test_figures_are_drawn_and_reproducible(tmp_path):
    for name, draw in _figures().items():
        paths = []
        for attempt in range(2):
            fig = draw()
            paths.append(save_figure(fig, f"{name}_{attempt}", tmp_path))
            plt.close(fig)
        assert paths[0].read_bytes() == paths[1].read_bytes(), name


# --- The widget -----------------------------------------------------------------------------------

def test_widget_redraws_when_a_control_changes():
    widget = ArchitectureWidget(size=32, width=8)
    first = widget.update()
    assert widget.last_values == {"backbone": "resnet18", "version": "v1", "first_kernel": 7, "frames": 16}
    assert list(stage_lengths(widget.last_trace)) == [8, 8, 4, 2, 1]
    widget.controls["version"].value = "v2"  # the observer redraws
    assert widget.last_values["version"] == "v2"
    assert list(stage_lengths(widget.last_trace)) == [8, 8, 8, 4, 4]
    assert widget.last_figure is not first
    assert "v2" in widget.last_figure.texts[0].get_text()
    widget.controls["frames"].value = 33
    assert list(stage_lengths(widget.last_trace)) == [17, 17, 17, 9, 9]
    widget.controls["backbone"].value = "resnet34"
    assert "MiCT-ResNet-34" in widget.last_figure.texts[0].get_text()
    assert widget.last_trace["what"].iloc[6].endswith("2 BasicBlocks")  # ResNet-34's layer1 has 3 blocks
    default = widget.render_default()
    assert isinstance(default, plt.Figure)
    plt.close("all")


# --- Exercises ------------------------------------------------------------------------------------

def test_exercise_checks_accept_the_solutions():
    assert check_temporal_lengths(expected_lengths, strict=True).passed
    fold = lambda clip: clip.transpose(1, 2).reshape(-1, *clip.shape[1:2], *clip.shape[3:])
    assert check_fold_time(fold, strict=True).passed
    params = lambda kernel, c_in, c_out: c_out * c_in * math.prod(kernel)
    assert check_conv3d_parameters(params, strict=True).passed


def test_exercise_checks_say_what_is_wrong():
    assert "not attempted" in str(check_temporal_lengths(lambda frames, version: None))
    assert "not attempted" in str(check_fold_time(lambda clip: None))
    floor = lambda frames, version: [frames // 2, frames // 2, frames // 4, frames // 8, frames // 16]
    assert "T=33, v1: expected [17, 17, 9, 5, 3], got [16, 16, 8, 4, 2]" in str(check_temporal_lengths(floor))
    time_major = lambda clip: clip.permute(2, 0, 1, 3, 4).reshape(-1, *clip.shape[1:2], *clip.shape[3:])
    assert "got [(0, 0), (1, 0), (0, 1)" in str(check_fold_time(time_major))
    no_transpose = lambda clip: clip.reshape(-1, clip.shape[1], *clip.shape[3:])
    assert "got [None" in str(check_fold_time(no_transpose))
    with_bias = lambda kernel, c_in, c_out: c_out * c_in * math.prod(kernel) + c_out
    assert "bias" in str(check_conv3d_parameters(with_bias))
    with pytest.raises(ExerciseFailed):
        check_conv3d_parameters(with_bias, strict=True)


def test_a_fresh_mict_is_its_2d_network_only_with_the_3d_branches_off():
    from mict.course.analysis.trace import distance_from_the_2d_network, random_resnet_2d_state_dict

    table = distance_from_the_2d_network(random_resnet_2d_state_dict(18, width=8), torch.randn(1, 3, 13, 32, 32))
    assert list(table["stage"]) == ["stem", "layer1", "layer2", "layer3", "layer4"]
    assert list(table["time steps"]) == [7, 7, 4, 2, 1]
    assert (table["3D branches off"] < 1e-5).all()  # MiCT's 2D path is the 2D network on the frames it keeps
    assert (table["3D branches on"] > 0.1).all()  # the fresh 3D branches move every stage's output
