"""Pieces shared by the video models: input checks, the 2D ResNet stage and the clip head."""

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock as BasicBlock2d

from ..errors import ClipShapeError
from .layout import to_channels_last

#: BasicBlocks per stage for each ResNet depth.
STAGE_BLOCKS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}

#: Smallest frame side the networks accept: they downsample space by 32.
MIN_FRAME_SIZE = 32


def stage_widths(width: int) -> tuple[int, int, int, int]:
    """Channels of the four stages: 64, 128, 256, 512 scaled by width/64."""
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive integer (64 for the standard ResNet), got {width!r}")
    return width, 2 * width, 4 * width, 8 * width


def check_depth_and_width(depth: int, width: int) -> None:
    """Raise before any layer is built when the ResNet's depth or width cannot be."""
    if depth not in STAGE_BLOCKS:
        raise ValueError(f"unknown ResNet depth {depth!r}; choose one of {sorted(STAGE_BLOCKS)}")
    stage_widths(width)


def add_stages(model: nn.Module, depth: int, width: int, make_stage) -> int:
    """Add the four ResNet stages as `model.layer1` … `layer4`; return the last stage's channels.

    `make_stage(index, inplanes, planes, blocks, stride)` builds stage `index` (0–3); the
    first keeps the resolution, the others halve it, as in every ResNet.
    """
    check_depth_and_width(depth, width)
    inplanes = width
    for i, (planes, blocks) in enumerate(zip(stage_widths(width), STAGE_BLOCKS[depth], strict=True)):
        model.add_module(f"layer{i + 1}", make_stage(i, inplanes, planes, blocks, 1 if i == 0 else 2))
        inplanes = planes
    return inplanes


def check_clip(clip: torch.Tensor) -> None:
    """Raise a ClipShapeError (a ValueError) that says what a video model expects, before a cryptic conv error."""
    if not isinstance(clip, torch.Tensor):
        raise TypeError(f"expected a tensor of shape N×3×T×H×W, got {type(clip).__name__}")
    if clip.dim() != 5 or clip.shape[1] != 3:
        hint = ""
        if clip.dim() == 4:
            hint = " (a single clip? add the batch dimension with clip.unsqueeze(0))"
        elif clip.dim() == 5 and clip.shape[2] == 3:
            hint = " (channels and time look swapped: use clip.transpose(1, 2))"
        raise ClipShapeError(
            f"expected a clip batch of shape N×3×T×H×W (batch, RGB, time, height, width), "
            f"got shape {tuple(clip.shape)}{hint}"
        )
    t, h, w = clip.shape[2:]
    if t < 1:
        raise ClipShapeError("the clip has no frames (T = 0); T ≥ 1 is required")
    if h < MIN_FRAME_SIZE or w < MIN_FRAME_SIZE:
        raise ClipShapeError(
            f"frames of {h}×{w} are too small: the network downsamples space by 32, "
            f"so height and width must be at least {MIN_FRAME_SIZE}"
        )


def check_clip_hook(module: nn.Module, args: tuple) -> None:
    """`check_clip` as a forward pre-hook, for models whose forward we do not own."""
    check_clip(args[0])


class StridedPointwiseConv2d(nn.Conv2d):
    """A 1×1 convolution with stride s, computed as a stride-1 one on every s-th pixel.

    The same arithmetic, bit for bit, and the same parameters as `nn.Conv2d(kernel_size=1,
    stride=s)`. PyTorch's oneDNN kernel for the strided form returns wrong weight gradients
    (and can corrupt memory) on channels-last inputs with few channels on some CPUs; the
    stride-1 kernel does not (tests/test_models.py checks both against float64).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__(in_channels, out_channels, kernel_size=1, stride=stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s, t = self.stride
        if (s, t) != (1, 1):
            layout = torch.channels_last if x.stride(1) == 1 else torch.contiguous_format
            x = x[:, :, ::s, ::t].contiguous(memory_format=layout)
        return nn.functional.conv2d(x, self.weight)


def resnet_stage_2d(inplanes: int, planes: int, blocks: int, stride: int) -> list[nn.Module]:
    """The BasicBlocks of one 2D ResNet stage (torchvision's block, so ImageNet names match).

    The first block changes stride and width; it gets a 1×1 conv + BN shortcut when
    the shape changes, as in torchvision's ResNet and the original MiCT-ResNet.
    """
    downsample = None
    if stride != 1 or inplanes != planes:
        downsample = nn.Sequential(StridedPointwiseConv2d(inplanes, planes, stride), nn.BatchNorm2d(planes))
    first = BasicBlock2d(inplanes, planes, stride=stride, downsample=downsample)
    return [first] + [BasicBlock2d(planes, planes) for _ in range(blocks - 1)]


class ClipHead(nn.Module):
    """Dropout of whole channels, spatial average, the FC at every time step, mean over time.

    Averaging logits over time is what lets one network classify a 16-frame clip in
    training and a 300-frame video at test time.
    """

    def __init__(self, in_features: int, num_classes: int, dropout: float):
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.dropout = nn.Dropout3d(dropout)
        self.fc = nn.Linear(in_features, num_classes)

    def step_logits(self, features: torch.Tensor) -> torch.Tensor:
        """N×C×T×H×W features → N×T×classes: the classifier at every time step."""
        features = self.dropout(features)
        return self.fc(features.mean(dim=(3, 4)).transpose(1, 2))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.step_logits(features).mean(dim=1)


def init_3d_layers(model: nn.Module) -> None:
    """The original's initialisation: Kaiming-normal (fan_out) 3D convs, unit BN3d.

    2D layers keep PyTorch's defaults, or ImageNet weights when pretrained.
    """
    for m in model.modules():
        if isinstance(m, nn.Conv3d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
        elif isinstance(m, nn.BatchNorm3d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class VideoClassifier(nn.Module):
    """The forward pass the three video models share: check, lay out, features, head.

    Clips are laid out channels-last (N·T·H·W·C in memory) unless `channels_last`
    is set to False: folding time into the batch is then free, and oneDNN's 2D/3D
    convolutions and pools run fastest. The layout never changes the values.
    """

    channels_last = True

    def features(self, clip: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(self._laid_out(clip)))

    def step_logits(self, clip: torch.Tensor) -> torch.Tensor:
        """N×T'×classes: the logits of each time step that reaches the classifier, before the mean over
        time that `forward` takes (step t covers input frames t·s … t·s + s − 1, s = `temporal_stride`)."""
        return self.head.step_logits(self.features(self._laid_out(clip)))

    def _laid_out(self, clip: torch.Tensor) -> torch.Tensor:
        check_clip(clip)
        return to_channels_last(clip) if self.channels_last else clip
