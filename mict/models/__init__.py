"""Video models by name, torchvision-style: `get_model('mict_resnet18', width=16)`."""

from functools import partial

from torch import nn
from torchvision.models import video as tv_video

from .common import check_clip, check_clip_hook
from .frame_resnet import FrameResNet, frame_resnet18, frame_resnet34
from .layout import fold_time_into_batch, pad_space_and_time_end, unfold_time_from_batch
from .mict_resnet import (
    TEMPORAL_KERNELS,
    TEMPORAL_STRIDES,
    MiCTResNet,
    MiCTStage,
    MiCTStem,
    mict_resnet18,
    mict_resnet34,
)
from .resnet3d import ResNet3d, resnet3d_18, resnet3d_34
from .weights import (
    PretrainedWeightsUnavailable,
    imagenet_state_dict,
    inflate_2d_kernel,
    is_imagenet_resnet,
    load_checkpoint,
    transfer_imagenet_weights,
)

MICT_MODELS = ("mict_resnet18", "mict_resnet34")
MICT_OPTIONS = ("version", "temporal_kernel")


def _torchvision_video(builder, *, num_classes: int, dropout: float, width: int) -> nn.Module:
    """torchvision's r3d_18 / mc3_18 / r2plus1d_18 architecture, untrained, for comparison."""
    if width != 64:
        raise ValueError(f"{builder.__name__} has torchvision's fixed widths; width={width} is not supported")
    model = builder(weights=None, num_classes=num_classes)
    if dropout:
        model.fc = nn.Sequential(nn.Dropout(dropout), model.fc)
    model.register_forward_pre_hook(check_clip_hook)
    return model


_BUILDERS = {
    "mict_resnet18": mict_resnet18,
    "mict_resnet34": mict_resnet34,
    "resnet3d_18": resnet3d_18,
    "resnet3d_34": resnet3d_34,
    "frame_resnet18": frame_resnet18,
    "frame_resnet34": frame_resnet34,
    "r3d_18": partial(_torchvision_video, tv_video.r3d_18),
    "mc3_18": partial(_torchvision_video, tv_video.mc3_18),
    "r2plus1d_18": partial(_torchvision_video, tv_video.r2plus1d_18),
}
TORCHVISION_MODELS = ("r3d_18", "mc3_18", "r2plus1d_18")


def list_models() -> list[str]:
    return list(_BUILDERS)


def get_model(
    name: str,
    *,
    num_classes: int = 101,
    dropout: float = 0.5,
    width: int = 64,
    pretrained: bool | str = False,
    **mict_options,
) -> nn.Module:
    """Build a video model for N×3×T×H×W clips.

    pretrained: False; True for ImageNet (2D layers copied, or inflated for the
    3D-ResNet); or a path to ImageNet ResNet weights or to a checkpoint.
    MiCT models also take `version` ('v1' or 'v2') and `temporal_kernel` (3, 5 or 7).
    """
    if name not in _BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(_BUILDERS)}")
    unknown = sorted(set(mict_options) - set(MICT_OPTIONS))
    if unknown:
        raise TypeError(
            f"get_model got unknown option(s) {unknown}; options are num_classes, dropout, width, "
            f"pretrained, and for MiCT models {', '.join(MICT_OPTIONS)}"
        )
    if mict_options and name not in MICT_MODELS:
        raise ValueError(f"option(s) {sorted(mict_options)} apply to MiCT models only ({', '.join(MICT_MODELS)})")
    if pretrained and name in TORCHVISION_MODELS:
        raise ValueError(f"{name} is provided as an architecture only; pretrained weights are not supported")
    if pretrained is True and width != 64:
        raise ValueError(
            f"ImageNet weights exist for width 64 only, got width={width}; "
            f"use width=64 or pretrained=False"
        )
    model = _BUILDERS[name](num_classes=num_classes, dropout=dropout, width=width, **mict_options)
    if pretrained:
        _load_pretrained(model, pretrained)
    return model


def _load_pretrained(model: nn.Module, pretrained: bool | str) -> None:
    if pretrained is True:
        transfer_imagenet_weights(model, imagenet_state_dict(model.depth, True))
        return
    state = imagenet_state_dict(model.depth, pretrained)
    if is_imagenet_resnet(state):
        if model.width != 64:
            raise ValueError(f"ImageNet weights exist for width 64 only, got width={model.width}")
        transfer_imagenet_weights(model, state)
    else:
        load_checkpoint(model, pretrained)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


__all__ = [
    "FrameResNet",
    "MiCTResNet",
    "MiCTStage",
    "MiCTStem",
    "ResNet3d",
    "PretrainedWeightsUnavailable",
    "TEMPORAL_KERNELS",
    "TEMPORAL_STRIDES",
    "check_clip",
    "count_parameters",
    "fold_time_into_batch",
    "get_model",
    "imagenet_state_dict",
    "inflate_2d_kernel",
    "list_models",
    "load_checkpoint",
    "pad_space_and_time_end",
    "transfer_imagenet_weights",
    "unfold_time_from_batch",
]
