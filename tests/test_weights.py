"""Weights: the original's checkpoints, ImageNet transfer, 3D inflation, our checkpoints."""

import pytest
import torch
import torch.nn.functional as F
import torchvision
from test_models import randomise_batchnorm

from mict.models import (
    PretrainedWeightsUnavailable,
    get_model,
    load_checkpoint,
    transfer_imagenet_weights,
)

STRIDES = {"v1": (1, 1, 2, 2, 2), "v2": (1, 1, 1, 2, 1)}


# --- An independent, functional reading of the original MiCT-ResNet and 3D-ResNet -------------
# Written from the architecture's description with the original's parameter names, one
# sample and one frame at a time: slow, but nothing in it is shared with mict.models.

def _bn(sd, x, name):
    return F.batch_norm(x, sd[f"{name}.running_mean"], sd[f"{name}.running_var"],
                        sd[f"{name}.weight"], sd[f"{name}.bias"], training=False, eps=1e-5)


def _per_frame(x, fn, step=1):
    clips = []
    for n in range(x.shape[0]):
        clips.append(torch.stack([fn(x[n:n + 1, :, t])[0] for t in range(0, x.shape[2], step)], dim=1))
    return torch.stack(clips)


def _basic_block_2d(sd, x, prefix, stride):
    out = F.relu(_bn(sd, F.conv2d(x, sd[f"{prefix}.conv1.weight"], stride=stride, padding=1), f"{prefix}.bn1"))
    out = _bn(sd, F.conv2d(out, sd[f"{prefix}.conv2.weight"], padding=1), f"{prefix}.bn2")
    if f"{prefix}.downsample.0.weight" in sd:
        x = _bn(sd, F.conv2d(x, sd[f"{prefix}.downsample.0.weight"], stride=stride), f"{prefix}.downsample.1")
    return F.relu(out + x)


def original_mict_forward(sd, clip, version, kernel, blocks=(2, 2, 2, 2)):
    strides = STRIDES[version]
    padded = F.pad(clip, (3, 3, 3, 3, 0, kernel - 1))
    motion = F.conv3d(padded, sd["conv2.weight"], stride=(strides[0], 2, 2))
    motion = F.max_pool3d(F.relu(_bn(sd, motion, "bn2")), 3, 2, 1)
    def stem_2d(frame):
        frame = F.relu(_bn(sd, F.conv2d(frame, sd["conv1.weight"], stride=2, padding=3), "bn1"))
        return F.max_pool2d(frame, 3, 2, 1)

    x = motion + _per_frame(clip, stem_2d, step=2)
    for i in range(4):
        t, s, p = strides[i + 1], 1 if i == 0 else 2, f"layer{i + 1}"
        motion = F.conv3d(F.pad(x, (1, 1, 1, 1, 0, 2)), sd[f"{p}.conv.weight"], stride=(t, s, s))
        motion = F.relu(_bn(sd, motion, f"{p}.bn"))
        x = motion + _per_frame(x, lambda f, p=p, s=s: _basic_block_2d(sd, f, f"{p}.bottlenecks.0", s), step=t)
        for j in range(1, blocks[i]):
            x = _per_frame(x, lambda f, p=p, j=j: _basic_block_2d(sd, f, f"{p}.bottlenecks.{j}", 1))
    pooled = x.mean(dim=(3, 4))
    logits = [F.linear(pooled[:, :, t], sd["fc.weight"], sd["fc.bias"]) for t in range(pooled.shape[2])]
    return torch.stack(logits, dim=2).mean(dim=2)


def original_resnet3d_forward(sd, clip, blocks=(2, 2, 2, 2)):
    x = F.relu(_bn(sd, F.conv3d(clip, sd["conv1.weight"], stride=(1, 2, 2), padding=3), "bn1"))
    x = F.max_pool3d(x, 3, 2, 1)
    for i in range(4):
        for j in range(blocks[i]):
            p, s = f"layer{i + 1}.{j}", 2 if i > 0 and j == 0 else 1
            out = F.relu(_bn(sd, F.conv3d(x, sd[f"{p}.conv1.weight"], stride=s, padding=1), f"{p}.bn1"))
            out = _bn(sd, F.conv3d(out, sd[f"{p}.conv2.weight"], padding=1), f"{p}.bn2")
            if f"{p}.downsample.0.weight" in sd:
                x = _bn(sd, F.conv3d(x, sd[f"{p}.downsample.0.weight"], stride=s), f"{p}.downsample.1")
            x = F.relu(out + x)
    return F.linear(x.mean(dim=(2, 3, 4)), sd["fc.weight"], sd["fc.bias"])


def _random_bn(sd, name, n, g, counter=True):
    sd[f"{name}.weight"] = torch.rand(n, generator=g) + 0.5
    sd[f"{name}.bias"] = torch.randn(n, generator=g) * 0.1
    sd[f"{name}.running_mean"] = torch.randn(n, generator=g) * 0.1
    sd[f"{name}.running_var"] = torch.rand(n, generator=g) + 0.5
    if counter:
        sd[f"{name}.num_batches_tracked"] = torch.tensor(100)


def original_mict_state_dict(width, kernel, classes, blocks=(2, 2, 2, 2), seed=0):
    """A state dict with the original implementation's names and shapes, random values."""
    g = torch.Generator().manual_seed(seed)
    w = lambda *shape: torch.randn(*shape, generator=g) * (2.0 / (shape[1] * shape[-1] * shape[-2])) ** 0.5
    sd = {"conv1.weight": w(width, 3, 7, 7), "conv2.weight": w(width, 3, kernel, 7, 7)}
    _random_bn(sd, "bn1", width, g)
    _random_bn(sd, "bn2", width, g)
    inplanes = width
    for i, n_blocks in enumerate(blocks):
        planes, p = width * 2**i, f"layer{i + 1}"
        sd[f"{p}.conv.weight"] = w(planes, inplanes, 3, 3, 3)
        _random_bn(sd, f"{p}.bn", planes, g)
        for j in range(n_blocks):
            b = f"{p}.bottlenecks.{j}"
            sd[f"{b}.conv1.weight"] = w(planes, inplanes if j == 0 else planes, 3, 3)
            sd[f"{b}.conv2.weight"] = w(planes, planes, 3, 3)
            _random_bn(sd, f"{b}.bn1", planes, g)
            _random_bn(sd, f"{b}.bn2", planes, g)
            if j == 0 and (i > 0 or inplanes != planes):
                sd[f"{b}.downsample.0.weight"] = w(planes, inplanes, 1, 1)
                _random_bn(sd, f"{b}.downsample.1", planes, g)
        inplanes = planes
    sd["fc.weight"] = torch.randn(classes, inplanes, generator=g) * 0.1
    sd["fc.bias"] = torch.randn(classes, generator=g) * 0.1
    return sd


def original_resnet3d_state_dict(width, classes, seed=0):
    g = torch.Generator().manual_seed(seed)
    w = lambda *shape: torch.randn(*shape, generator=g) * (2.0 / (shape[1] * 27)) ** 0.5
    # No num_batches_tracked: checkpoints of PyTorch < 0.4.1 lack it.
    sd = {"conv1.weight": w(width, 3, 7, 7, 7)}
    _random_bn(sd, "bn1", width, g, counter=False)
    inplanes = width
    for i in range(4):
        planes = width * 2**i
        for j in range(2):
            p = f"layer{i + 1}.{j}"
            sd[f"{p}.conv1.weight"] = w(planes, inplanes if j == 0 else planes, 3, 3, 3)
            sd[f"{p}.conv2.weight"] = w(planes, planes, 3, 3, 3)
            _random_bn(sd, f"{p}.bn1", planes, g, counter=False)
            _random_bn(sd, f"{p}.bn2", planes, g, counter=False)
            if j == 0 and i > 0:
                sd[f"{p}.downsample.0.weight"] = w(planes, inplanes, 1, 1, 1)
                _random_bn(sd, f"{p}.downsample.1", planes, g, counter=False)
        inplanes = planes
    sd["fc.weight"] = torch.randn(classes, inplanes, generator=g) * 0.1
    sd["fc.bias"] = torch.randn(classes, generator=g) * 0.1
    return sd


def save_original_checkpoint(path, state_dict):
    torch.save({"epoch": 120, "state_dict": state_dict, "optimizer": {"state": {}, "param_groups": []},
                "best_pred": 67.1}, path)


@pytest.mark.parametrize("version, kernel, frames", [("v1", 7, 16), ("v1", 3, 9), ("v2", 5, 16), ("v2", 7, 21)])
def test_mict_matches_the_original_on_an_original_checkpoint(tmp_path, version, kernel, frames):
    sd = original_mict_state_dict(width=8, kernel=kernel, classes=6)
    save_original_checkpoint(tmp_path / "mict.pth.tar", sd)
    model = get_model("mict_resnet18", width=8, num_classes=6, version=version, temporal_kernel=kernel).eval()
    checkpoint = load_checkpoint(model, tmp_path / "mict.pth.tar")
    assert checkpoint["epoch"] == 120 and checkpoint["best_pred"] == 67.1
    clip = torch.randn(2, 3, frames, 40, 48, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = original_mict_forward(sd, clip, version, kernel)
        torch.testing.assert_close(model(clip), expected, rtol=1e-4, atol=1e-4)


def test_resnet3d_matches_the_original_on_an_original_checkpoint(tmp_path):
    sd = original_resnet3d_state_dict(width=8, classes=6)
    save_original_checkpoint(tmp_path / "r3d.pth.tar", sd)
    model = get_model("resnet3d_18", width=8, num_classes=6).eval()
    load_checkpoint(model, tmp_path / "r3d.pth.tar")
    clip = torch.randn(2, 3, 16, 40, 40, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(model(clip), original_resnet3d_forward(sd, clip), rtol=1e-4, atol=1e-4)


def test_checkpoint_of_another_architecture_lists_the_mismatched_keys(tmp_path):
    save_original_checkpoint(tmp_path / "r3d.pth.tar", original_resnet3d_state_dict(width=8, classes=6))
    model = get_model("mict_resnet18", width=8, num_classes=6)
    with pytest.raises(ValueError, match=r"(?s)does not fit MiCTResNet-18.*missing: .*stem\.conv2d\.weight"):
        load_checkpoint(model, tmp_path / "r3d.pth.tar")


def test_checkpoint_with_another_width_reports_shapes(tmp_path):
    save_original_checkpoint(tmp_path / "mict.pth.tar", original_mict_state_dict(width=8, kernel=7, classes=6))
    model = get_model("mict_resnet18", width=16, num_classes=6)
    with pytest.raises(ValueError, match=r"wrong shape: stem\.conv2d\.weight: checkpoint \(8, 3, 7, 7\)"):
        load_checkpoint(model, tmp_path / "mict.pth.tar")


def test_project_checkpoint_round_trip_and_wrapper_prefixes(tmp_path):
    torch.manual_seed(0)
    source = get_model("mict_resnet18", width=8, num_classes=4, version="v2").eval()
    randomise_batchnorm(source)
    clip = torch.randn(1, 3, 8, 32, 32)
    for name, state in [("plain", source.state_dict()),
                        ("ddp", {f"module.{k}": v for k, v in source.state_dict().items()})]:
        torch.save({"model": state, "epoch": 3, "config": {"model": "mict_resnet18"}}, tmp_path / f"{name}.pt")
        target = get_model("mict_resnet18", width=8, num_classes=4, version="v2").eval()
        meta = load_checkpoint(target, tmp_path / f"{name}.pt")
        assert meta["epoch"] == 3 and meta["config"]["model"] == "mict_resnet18"
        with torch.no_grad():
            torch.testing.assert_close(target(clip), source(clip))


class _Payload:
    def __reduce__(self):
        return (print, ("this would run at load time",))


def test_pickles_that_run_code_are_refused(tmp_path):
    model = get_model("frame_resnet18", width=8, num_classes=4)
    torch.save({"model": model.state_dict(), "extra": _Payload()}, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match="refusing to load"):
        load_checkpoint(model, tmp_path / "evil.pt")


def test_missing_checkpoint_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_checkpoint(get_model("frame_resnet18", width=8), tmp_path / "nope.pt")


def _random_resnet_2d(width, classes=10, seed=0):
    """A torchvision-named 2D ResNet-18 with random weights and BN statistics."""
    torch.manual_seed(seed)
    if width == 64:
        net = torchvision.models.resnet18(num_classes=classes)
        randomise_batchnorm(net, seed)
        return net, net.state_dict()
    net = get_model("frame_resnet18", width=width, num_classes=classes)
    randomise_batchnorm(net, seed)
    state = {k.replace("head.fc.", "fc."): v for k, v in net.state_dict().items()}
    return net, state


def test_inflation_gives_2d_activations_on_a_static_clip():
    """A clip of identical frames through the inflated 3D-ResNet equals the 2D ResNet on one
    frame, at every time step the zero padding of time does not reach."""
    net2d, state = _random_resnet_2d(width=4)
    net3d = get_model("resnet3d_18", width=4, num_classes=10).eval()
    transfer_imagenet_weights(net3d, state)
    frame = torch.randn(1, 3, 1, 32, 32)
    with torch.no_grad():
        expected = net2d.eval().features(frame)[:, :, 0]
        static = net3d.features(frame.expand(-1, -1, 256, -1, -1))  # 16 steps; the middle ones see no padding
    torch.testing.assert_close(static[:, :, 8], expected, rtol=1e-4, atol=1e-4)
    assert not torch.allclose(static[:, :, 0], expected, atol=1e-3)  # the edges do see the padding


def test_mict_and_frame_resnet_copy_the_2d_weights_exactly():
    net2d, state = _random_resnet_2d(width=64)
    mict = get_model("mict_resnet18")
    transfer_imagenet_weights(mict, state)
    assert torch.equal(mict.stem.conv2d.weight, state["conv1.weight"])
    assert torch.equal(mict.stem.bn2d.running_var, state["bn1.running_var"])
    downsample_bn = mict.layer3.blocks[0].downsample[1]
    assert torch.equal(downsample_bn.running_mean, state["layer3.0.downsample.1.running_mean"])
    assert torch.equal(mict.layer4.blocks[1].conv2.weight, state["layer4.1.conv2.weight"])
    # The frame ResNet is torchvision's ResNet on each frame: with the same FC, the same logits.
    frames = get_model("frame_resnet18", num_classes=10).eval()
    transfer_imagenet_weights(frames, state)
    frames.head.fc.load_state_dict(net2d.fc.state_dict())
    image = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(frames(image.unsqueeze(2)), net2d.eval()(image), rtol=1e-4, atol=1e-4)


def test_imagenet_weights_offline_say_which_file_to_put_where(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(PretrainedWeightsUnavailable) as info:
        get_model("mict_resnet18", pretrained=True)
    message = str(info.value)
    assert "https://download.pytorch.org/models/resnet18-f37072fd.pth" in message
    assert str(tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth") in message
    assert "pretrained='/path/to/resnet18-f37072fd.pth'" in message


def test_imagenet_weights_from_the_cache_or_a_path(tmp_path, monkeypatch):
    _, state = _random_resnet_2d(width=64)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    cached = tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    cached.parent.mkdir(parents=True)
    torch.save(state, cached)
    model = get_model("resnet3d_18", pretrained=True)
    torch.testing.assert_close(model.conv1.weight, state["conv1.weight"].unsqueeze(2).repeat(1, 1, 7, 1, 1) / 7)
    assert torch.equal(model.layer1[0].conv1[1].running_mean, state["layer1.0.bn1.running_mean"])
    by_path = get_model("mict_resnet18", pretrained=str(cached))
    assert torch.equal(by_path.layer2.blocks[0].conv1.weight, state["layer2.0.conv1.weight"])
    with pytest.raises(FileNotFoundError, match="not found"):
        get_model("mict_resnet18", pretrained=str(tmp_path / "missing.pth"))


def test_imagenet_weights_of_the_wrong_depth_are_refused():
    _, state = _random_resnet_2d(width=64)
    model = get_model("mict_resnet34")
    with pytest.raises(ValueError, match="missing ImageNet weight for 'layer1.blocks.2.conv1.weight'"):
        transfer_imagenet_weights(model, state)
