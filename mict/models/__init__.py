"""Video models by name, torchvision-style: `get_model('mict_resnet18', width=16)`.

Architectures (`mict_resnet`, `resnet3d`, `frame_resnet`), the tensor layout helpers they
share (`layout`), weights kept apart from them (`weights`), and the registry (`registry`).
"""

from .common import MIN_FRAME_SIZE, check_clip
from .frame_resnet import FrameResNet, frame_resnet18, frame_resnet34
from .layout import fold_time_into_batch, pad_space_and_time_end, unfold_time_from_batch
from .mict_resnet import (
    TEMPORAL_KERNELS,
    TEMPORAL_STRIDES,
    MiCTResNet,
    MiCTStage,
    MiCTStem,
    mict_resnet18,
    mict_resnet18_2d,
    mict_resnet34,
    mict_resnet34_2d,
)
from .registry import FAMILIES, ModelSpec, count_parameters, get_model, list_models, model_spec
from .resnet3d import ResNet3d, resnet3d_18, resnet3d_34
from .weights import (
    PretrainedWeightsUnavailable,
    imagenet_state_dict,
    inflate_2d_kernel,
    is_imagenet_resnet,
    load_checkpoint,
    read_checkpoint,
    transfer_imagenet_weights,
)

__all__ = [
    "FAMILIES",
    "MIN_FRAME_SIZE",
    "FrameResNet",
    "MiCTResNet",
    "MiCTStage",
    "MiCTStem",
    "ModelSpec",
    "ResNet3d",
    "PretrainedWeightsUnavailable",
    "TEMPORAL_KERNELS",
    "TEMPORAL_STRIDES",
    "check_clip",
    "count_parameters",
    "fold_time_into_batch",
    "frame_resnet18",
    "frame_resnet34",
    "get_model",
    "imagenet_state_dict",
    "inflate_2d_kernel",
    "is_imagenet_resnet",
    "list_models",
    "load_checkpoint",
    "mict_resnet18",
    "mict_resnet18_2d",
    "mict_resnet34",
    "mict_resnet34_2d",
    "model_spec",
    "pad_space_and_time_end",
    "read_checkpoint",
    "resnet3d_18",
    "resnet3d_34",
    "transfer_imagenet_weights",
    "unfold_time_from_batch",
]
