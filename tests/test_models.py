"""The video models: shapes, exact parameter counts, fidelity to the original, errors."""

import math

import pytest
import torch
import torch.nn.functional as F

from mict.models import (
    TEMPORAL_KERNELS,
    count_parameters,
    fold_time_into_batch,
    get_model,
    list_models,
    model_spec,
    unfold_time_from_batch,
)

SMALL = dict(width=8, num_classes=5)


def randomise_batchnorm(model: torch.nn.Module, seed: int = 0) -> None:
    """Give every BN non-trivial statistics and affine terms, so eval-mode checks mean something."""
    generator = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=generator) * 0.1)


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("kernel", TEMPORAL_KERNELS)
@pytest.mark.parametrize("frames", [1, 7, 16, 33])
def test_mict_output_shapes_for_any_clip_length(version, kernel, frames):
    model = get_model("mict_resnet18", version=version, temporal_kernel=kernel, **SMALL).eval()
    clip = torch.randn(2, 3, frames, 32, 40)
    with torch.no_grad():
        features = model.features(clip)
        logits = model(clip)
    assert logits.shape == (2, 5)
    assert torch.isfinite(logits).all()
    assert features.shape[:2] == (2, 64)
    assert features.shape[2] == math.ceil(frames / model.temporal_stride)
    assert features.shape[3:] == (1, 2)


@pytest.mark.parametrize(
    "name", ["mict_resnet34", "resnet3d_18", "resnet3d_34", "frame_resnet18", "frame_resnet34"]
)
@pytest.mark.parametrize("frames", [1, 7, 16, 33])
def test_other_models_output_shapes(name, frames):
    model = get_model(name, **SMALL).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 3, frames, 32, 32)).shape == (2, 5)


def test_temporal_strides_of_the_two_versions():
    assert get_model("mict_resnet18", version="v1", **SMALL).temporal_stride == 16
    assert get_model("mict_resnet18", version="v2", **SMALL).temporal_stride == 4


@pytest.mark.parametrize(
    "name, options, expected",
    [
        ("mict_resnet18", dict(temporal_kernel=7), 16_051_685),
        ("mict_resnet18", dict(temporal_kernel=5), 16_032_869),
        ("mict_resnet18", dict(temporal_kernel=3), 16_014_053),
        ("mict_resnet18", dict(temporal_kernel=7, version="v2"), 16_051_685),
        ("mict_resnet34", dict(), 26_159_845),
        ("resnet3d_18", dict(), 33_255_717),
    ],
)
def test_parameter_counts_equal_the_original(name, options, expected):
    assert count_parameters(get_model(name, **options)) == expected


def test_torchvision_comparison_models_build_and_run():
    for name in ["r3d_18", "mc3_18", "r2plus1d_18"]:
        model = get_model(name, num_classes=7).eval()
        with torch.no_grad():
            assert model(torch.randn(1, 3, 4, 32, 32)).shape == (1, 7)
        with pytest.raises(ValueError, match="N×3×T×H×W"):
            model(torch.randn(1, 4, 4, 32, 32))


def test_fold_and_unfold_are_inverse_in_both_memory_layouts():
    clip = torch.randn(2, 3, 5, 6, 7)
    for layout in (torch.contiguous_format, torch.channels_last_3d):
        x = clip.contiguous(memory_format=layout)
        frames, time = fold_time_into_batch(x)
        assert frames.shape == (10, 3, 6, 7) and time == 5
        assert torch.equal(frames[1], clip[0, :, 1])  # clip-major: frames of one clip are consecutive
        assert torch.equal(frames[5], clip[1, :, 0])
        assert torch.equal(unfold_time_from_batch(frames, time), clip)
        strided, time = fold_time_into_batch(x, time_stride=2)
        assert time == 3 and torch.equal(strided[4], clip[1, :, 2])
    channels_last_frames, _ = fold_time_into_batch(clip.contiguous(memory_format=torch.channels_last_3d))
    assert channels_last_frames.is_contiguous(memory_format=torch.channels_last)


def test_skipping_frames_keeps_the_gradient_channels_last():
    # A contiguous gradient meeting channels-last activations sends ReLU and BatchNorm
    # backward down a path about 5× slower.
    clip = torch.randn(2, 3, 6, 4, 5).contiguous(memory_format=torch.channels_last_3d).requires_grad_()
    frames, time = fold_time_into_batch(clip, time_stride=2)
    assert time == 3
    frames.sum().backward()
    assert clip.grad.is_contiguous(memory_format=torch.channels_last_3d)
    assert torch.equal(clip.grad[:, :, ::2], torch.ones(2, 3, 3, 4, 5))
    assert torch.equal(clip.grad[:, :, 1::2], torch.zeros(2, 3, 3, 4, 5))


@pytest.mark.parametrize("name", ["mict_resnet18", "resnet3d_18", "frame_resnet18"])
def test_memory_layout_does_not_change_outputs(name):
    torch.manual_seed(0)
    model = get_model(name, **SMALL).eval()
    randomise_batchnorm(model)
    clip = torch.randn(2, 3, 9, 32, 32)
    with torch.no_grad():
        fast = model(clip)
        model.channels_last = False
        plain = model(clip)
    torch.testing.assert_close(fast, plain, rtol=1e-4, atol=1e-5)


def test_dropout_zeroes_whole_channels_in_training():
    model = get_model("mict_resnet18", dropout=0.5, **SMALL).train()
    features = torch.ones(4, 64, 3, 2, 2)
    dropped = model.head.dropout(features)
    per_channel = dropped.flatten(2)
    # every channel of every clip is either entirely dropped or entirely kept (scaled by 2)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: m(torch.randn(3, 16, 32, 32)), "N×3×T×H×W"),
        (lambda m: m(torch.randn(1, 1, 16, 32, 32)), "N×3×T×H×W"),
        (lambda m: m(torch.randn(1, 16, 3, 32, 32)), "swapped"),
        (lambda m: m(torch.randn(1, 3, 16, 16, 64)), "at least 32"),
        (lambda m: m(torch.randn(1, 3, 0, 32, 32)), "no frames"),
    ],
)
def test_bad_input_is_explained(call, message):
    model = get_model("mict_resnet18", **SMALL)
    with pytest.raises(ValueError, match=message):
        call(model)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(name="mict_resnet50"), ValueError, "choose one of: mict_resnet18"),
        (dict(name="mict_resnet18", version="v3"), ValueError, r"\['v1', 'v2'\]"),
        (dict(name="mict_resnet18", temporal_kernel=4), ValueError, r"\[3, 5, 7\]"),
        (dict(name="resnet3d_18", version="v2"), ValueError, "MiCT models only"),
        (dict(name="mict_resnet18", colour="red"), TypeError, "unknown option"),
        (dict(name="mict_resnet18", width=16, pretrained=True), ValueError, "width 64 only"),
        (dict(name="r3d_18", width=16), ValueError, "fixed widths"),
        (dict(name="r3d_18", pretrained=True), ValueError, "architecture only"),
        (dict(name="mict_resnet18", dropout=1.5), ValueError, "dropout"),
        (dict(name="mict_resnet18", width=0), ValueError, "width"),
    ],
)
def test_bad_options_are_explained(kwargs, error, message):
    name = kwargs.pop("name")
    with pytest.raises(error, match=message):
        get_model(name, **kwargs)


def test_list_models_has_every_documented_name():
    assert set(list_models()) == {
        "mict_resnet18", "mict_resnet34", "mict_resnet18_2d", "mict_resnet34_2d", "resnet3d_18", "resnet3d_34",
        "frame_resnet18", "frame_resnet34", "r3d_18", "mc3_18", "r2plus1d_18",
    }
    assert list_models("mict") == ["mict_resnet18", "mict_resnet34", "mict_resnet18_2d", "mict_resnet34_2d"]
    assert model_spec("mict_resnet18_2d").options == ("version",)
    assert not model_spec("r3d_18").pretrained and not model_spec("r3d_18").any_width


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_mict_without_3d_branches_is_mict_with_its_3d_branches_switched_off(version):
    """The baseline keeps MiCT's 2D path exactly: its temporal subsampling, its blocks and its head."""
    torch.manual_seed(0)
    mict = get_model("mict_resnet18", version=version, **SMALL).eval()
    randomise_batchnorm(mict)
    two_d = get_model("mict_resnet18_2d", version=version, **SMALL).eval()
    assert not [name for name, _ in two_d.named_parameters() if "3d" in name]
    two_d.load_state_dict({k: v for k, v in mict.state_dict().items() if "3d" not in k})
    clip = torch.randn(2, 3, 13, 32, 32)
    for tube in mict.tubes().values():
        tube.use_3d = False
    with torch.no_grad():
        torch.testing.assert_close(two_d(clip), mict(clip), rtol=0, atol=0)
        assert two_d.features(clip).shape == mict.features(clip).shape
    for tube in mict.tubes().values():
        tube.use_3d = True
    with torch.no_grad():
        assert not torch.allclose(two_d(clip), mict(clip))
    parameters = count_parameters(get_model("mict_resnet18_2d"))
    assert parameters == count_parameters(get_model("frame_resnet18")) == 11_228_325


def test_initialisation_follows_the_original():
    torch.manual_seed(0)
    model = get_model("mict_resnet18", width=32)
    # Kaiming-normal, fan_out: std = sqrt(2 / (out_channels · kernel volume))
    weight = model.layer2.conv3d.weight
    expected = math.sqrt(2.0 / (weight.shape[0] * 27))
    assert abs(weight.std().item() / expected - 1) < 0.05
    assert torch.equal(model.layer2.bn3d.weight, torch.ones(64))
    assert torch.equal(model.layer2.bn3d.bias, torch.zeros(64))


def test_clip_head_matches_pool_then_fc():
    """FC at every time step then mean over time equals FC on the time-averaged features."""
    model = get_model("mict_resnet18", **SMALL).eval()
    features = torch.randn(3, 64, 4, 2, 2)
    expected = model.head.fc(features.mean(dim=(2, 3, 4)))
    torch.testing.assert_close(model.head(features), expected)


def test_stem_pads_time_at_the_end_only():
    """A change in the last frame reaches every 3D stem output step that looks at it, and
    no step before: the stem pads time at the END only, so step t sees frames t…t+k−1."""
    model = get_model("mict_resnet18", temporal_kernel=3, **SMALL).eval()
    stem = model.stem
    clip = torch.randn(1, 3, 8, 32, 32)
    changed = clip.clone()
    changed[:, :, 7] += 1.0
    with torch.no_grad():
        from mict.models import pad_space_and_time_end

        a = stem.conv3d(pad_space_and_time_end(clip, 3, 2))
        b = stem.conv3d(pad_space_and_time_end(changed, 3, 2))
    differs = (a - b).abs().flatten(3).amax(dim=(1, 3))[0] > 0
    assert differs.tolist() == [False] * 5 + [True] * 3


def test_frame_resnet_ignores_frame_order():
    """Without 3D branches, shuffling time cannot change the prediction: no motion is seen."""
    model = get_model("frame_resnet18", **SMALL).eval()
    clip = torch.randn(2, 3, 6, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model(clip), model(clip.flip(2)))
    mict = get_model("mict_resnet18", **SMALL).eval()
    with torch.no_grad():
        assert not torch.allclose(mict(clip), mict(clip.flip(2)))


def test_mict_stem_is_the_sum_of_its_branches():
    model = get_model("mict_resnet18", **SMALL).eval()
    stem = model.stem
    clip = torch.randn(1, 3, 6, 32, 32)
    with torch.no_grad():
        total = stem(clip)
        motion = stem.pool3d(F.relu(stem.bn3d(stem.conv3d(F.pad(clip, (3, 3, 3, 3, 0, 6))))))
        frames = torch.stack([stem.pool2d(F.relu(stem.bn2d(stem.conv2d(clip[:, :, t])))) for t in (0, 2, 4)], 2)
    torch.testing.assert_close(total, motion + frames)


@pytest.mark.parametrize("channels", [3, 4, 16])
@pytest.mark.parametrize("layout", [torch.channels_last, torch.contiguous_format])
def test_the_strided_shortcut_has_the_gradients_of_float64_arithmetic(channels, layout):
    """The ResNet shortcut (a 1×1 convolution with stride 2) against a float64 reference: PyTorch's
    oneDNN kernel for the strided form returns wrong weight gradients for channels-last inputs with
    few channels on some CPUs, which made training with --width 4 irreproducible."""
    from mict.models.common import StridedPointwiseConv2d

    torch.manual_seed(0)
    conv = StridedPointwiseConv2d(channels, 2 * channels, stride=2)
    x = torch.randn(8, channels, 12, 12).contiguous(memory_format=layout).requires_grad_(True)
    output = conv(x)
    grad = torch.randn_like(output)
    weight_grad, input_grad = torch.autograd.grad(output, (conv.weight, x), grad)
    x64, w64 = x.detach().double().requires_grad_(True), conv.weight.detach().double().requires_grad_(True)
    expected = F.conv2d(x64, w64, stride=2)
    expected_weight, expected_input = torch.autograd.grad(expected, (w64, x64), grad.double())
    torch.testing.assert_close(output.double(), expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(weight_grad.double(), expected_weight, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(input_grad.double(), expected_input, rtol=1e-5, atol=1e-5)
