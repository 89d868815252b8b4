"""Every video model by name, with what a caller needs to know about it.

`get_model('mict_resnet18', width=16)` builds one; `model_spec(name)` says which family
it belongs to, which options it takes and whether ImageNet weights apply, so that the
configuration, the benchmarks and the command line never keep their own lists.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from torch import nn
from torchvision.models import video as tv_video

from .common import check_clip_hook
from .frame_resnet import frame_resnet18, frame_resnet34
from .mict_resnet import mict_resnet18, mict_resnet18_2d, mict_resnet34, mict_resnet34_2d
from .resnet3d import resnet3d_18, resnet3d_34
from .weights import imagenet_state_dict, is_imagenet_resnet, load_checkpoint, transfer_imagenet_weights

FAMILIES = ("mict", "3d", "frame", "torchvision")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    builder: Callable[..., nn.Module]
    family: str  # one of FAMILIES
    description: str
    options: tuple[str, ...] = ()  # keyword options beyond num_classes, dropout, width, pretrained
    pretrained: bool = True  # whether ImageNet initialisation is available
    any_width: bool = True  # False: the architecture has fixed widths (64)


def _torchvision_video(builder, *, num_classes: int, dropout: float, width: int) -> nn.Module:
    """torchvision's r3d_18 / mc3_18 / r2plus1d_18 architecture, untrained, for comparison."""
    if width != 64:
        raise ValueError(f"{builder.__name__} has torchvision's fixed widths; width={width} is not supported")
    model = builder(weights=None, num_classes=num_classes)
    if dropout:
        model.fc = nn.Sequential(nn.Dropout(dropout), model.fc)
    model.register_forward_pre_hook(check_clip_hook)
    return model


_MICT = ("version", "temporal_kernel")
_SPECS = (
    ModelSpec("mict_resnet18", mict_resnet18, "mict", "MiCT-ResNet-18: a 3D branch beside the stem and each stage",
              _MICT),
    ModelSpec("mict_resnet34", mict_resnet34, "mict", "MiCT-ResNet-34", _MICT),
    ModelSpec("mict_resnet18_2d", mict_resnet18_2d, "mict",
              "MiCT-ResNet-18 without its 3D branches: the 2D path, temporal subsampling kept", ("version",)),
    ModelSpec("mict_resnet34_2d", mict_resnet34_2d, "mict", "MiCT-ResNet-34 without its 3D branches", ("version",)),
    ModelSpec("resnet3d_18", resnet3d_18, "3d", "3D-ResNet-18 (Hara et al.): every convolution 3D"),
    ModelSpec("resnet3d_34", resnet3d_34, "3d", "3D-ResNet-34"),
    ModelSpec("frame_resnet18", frame_resnet18, "frame", "a 2D ResNet-18 on every frame, logits averaged"),
    ModelSpec("frame_resnet34", frame_resnet34, "frame", "a 2D ResNet-34 on every frame"),
    *(ModelSpec(name, partial(_torchvision_video, getattr(tv_video, name)), "torchvision",
                f"torchvision's {name} architecture, for comparison", pretrained=False, any_width=False)
      for name in ("r3d_18", "mc3_18", "r2plus1d_18")),
)
_REGISTRY = {spec.name: spec for spec in _SPECS}


def list_models(family: str | None = None) -> list[str]:
    """Model names, optionally of one family ('mict', '3d', 'frame', 'torchvision')."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; choose one of {FAMILIES}")
    return [spec.name for spec in _SPECS if family in (None, spec.family)]


def model_spec(name: str) -> ModelSpec:
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def get_model(
    name: str,
    *,
    num_classes: int = 101,
    dropout: float = 0.5,
    width: int = 64,
    pretrained: bool | str = False,
    **options,
) -> nn.Module:
    """Build a video model for N×3×T×H×W clips.

    pretrained: False; True for ImageNet (2D layers copied, or inflated for the
    3D-ResNet); or a path to ImageNet ResNet weights or to a checkpoint.
    MiCT models also take `version` ('v1' or 'v2') and, with their 3D branches,
    `temporal_kernel` (3, 5 or 7): see `model_spec(name).options`.
    """
    spec = model_spec(name)
    known = {option for other in _SPECS for option in other.options}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"get_model got unknown option(s) {unknown}; every model takes num_classes, dropout, "
                        f"width and pretrained, and some also {', '.join(sorted(known))}")
    not_taken = sorted(set(options) - set(spec.options))
    if not_taken:
        takers = [other.name for other in _SPECS if set(not_taken) & set(other.options)]
        raise ValueError(f"option(s) {not_taken} apply to MiCT models only ({', '.join(takers)}), not to {name}"
                         if {model_spec(t).family for t in takers} == {"mict"} else
                         f"option(s) {not_taken} apply to {', '.join(takers)}, not to {name}")
    if pretrained and not spec.pretrained:
        raise ValueError(f"{name} is provided as an architecture only; pretrained weights are not supported")
    if pretrained is True and width != 64:
        raise ValueError(f"ImageNet weights exist for width 64 only, got width={width}; "
                         f"use width=64 or pretrained=False")
    model = spec.builder(num_classes=num_classes, dropout=dropout, width=width, **options)
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
