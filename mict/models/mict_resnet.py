"""MiCT-ResNet: a 2D ResNet with a 3D convolution beside its stem and each stage.

Zhou, Sun, Zha and Zeng, "MiCT: Mixed 3D/2D Convolutional Tube for Human Action
Recognition", CVPR 2018, on the ResNet backbone of Mahoudeau's MiCT-Net-PyTorch.

Each Mixed Convolutional Tube runs a 3D convolution on the clip and, in parallel,
a 2D block on its frames; the two are summed (the cross-domain residual), so the
3D branch only has to learn what the frames alone miss: motion.
"""

import torch
from torch import nn

from .common import (
    ClipHead,
    VideoClassifier,
    add_stages,
    check_depth_and_width,
    init_3d_layers,
    resnet_stage_2d,
)
from .layout import (
    fold_time_into_batch,
    pad_space_and_time_end,
    unfold_time_from_batch,
)

#: Temporal strides of (stem, stage 1, stage 2, stage 3, stage 4).
TEMPORAL_STRIDES = {"v1": (1, 1, 2, 2, 2), "v2": (1, 1, 1, 2, 1)}
TEMPORAL_KERNELS = (3, 5, 7)


class MiCTStem(nn.Module):
    """7×7 2D conv on every other frame, summed with a k×7×7 3D conv on the clip.

    The 3D branch's 3×3×3 max-pool halves time; the 2D branch matches it by taking
    frames 0, 2, 4, …. Built with `with_3d=False` it has the 2D branch only; setting
    `use_3d = False` switches the 3D branch off at run time (to measure what it adds).
    """

    def __init__(self, width: int, temporal_kernel: int = 7, temporal_stride: int = 1, with_3d: bool = True):
        super().__init__()
        self.temporal_kernel = temporal_kernel
        self.conv2d = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn2d = nn.BatchNorm2d(width)
        self.pool2d = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        if with_3d:
            self.conv3d = nn.Conv3d(
                3, width, kernel_size=(temporal_kernel, 7, 7), stride=(temporal_stride, 2, 2), bias=False
            )
            self.bn3d = nn.BatchNorm3d(width)
            self.pool3d = nn.MaxPool3d(kernel_size=3, stride=2, padding=1)
        self.relu = nn.ReLU(inplace=True)
        self.use_3d = with_3d

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        if self.use_3d:
            padded = pad_space_and_time_end(clip, space=3, time_end=self.temporal_kernel - 1)
            motion = self.pool3d(self.relu(self.bn3d(self.conv3d(padded))))

        frames, time = fold_time_into_batch(clip, time_stride=2)
        appearance = unfold_time_from_batch(self.pool2d(self.relu(self.bn2d(self.conv2d(frames)))), time)
        return motion + appearance if self.use_3d else appearance


class MiCTStage(nn.Module):
    """One ResNet stage whose first block is a Mixed Convolutional Tube.

    3D branch: 3×3×3 conv with stride (t, s, s) → BN → ReLU on the clip.
    2D branch: the stage's first BasicBlock on frames 0, t, 2t, ….
    Their sum goes through the stage's remaining BasicBlocks frame by frame.
    `with_3d` and `use_3d` work as in `MiCTStem`.
    """

    def __init__(self, inplanes: int, planes: int, blocks: int, temporal_stride: int, stride: int,
                 with_3d: bool = True):
        super().__init__()
        self.temporal_stride = temporal_stride
        if with_3d:
            self.conv3d = nn.Conv3d(
                inplanes, planes, kernel_size=3, stride=(temporal_stride, stride, stride), bias=False
            )
            self.bn3d = nn.BatchNorm3d(planes)
            self.relu = nn.ReLU(inplace=True)
        self.blocks = nn.ModuleList(resnet_stage_2d(inplanes, planes, blocks, stride))
        self.use_3d = with_3d

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        if self.use_3d:
            padded = pad_space_and_time_end(clip, space=1, time_end=2)
            motion = self.relu(self.bn3d(self.conv3d(padded)))

        frames, time = fold_time_into_batch(clip, time_stride=self.temporal_stride)
        appearance = unfold_time_from_batch(self.blocks[0](frames), time)

        frames, time = fold_time_into_batch(motion + appearance if self.use_3d else appearance)
        for block in self.blocks[1:]:
            frames = block(frames)
        return unfold_time_from_batch(frames, time)


class MiCTResNet(VideoClassifier):
    """MiCT-ResNet for N×3×T×H×W clips of any length T ≥ 1.

    `version` sets the temporal strides: 'v1' reduces time by 16, 'v2' by 4 (more
    time steps reach the classifier, at more cost). `with_3d=False` builds the
    baseline of the same network without its 3D branches: its 2D path only, with the
    same temporal subsampling, so that comparing the two isolates what the 3D
    branches add.
    """

    def __init__(
        self,
        depth: int = 18,
        num_classes: int = 101,
        width: int = 64,
        version: str = "v1",
        temporal_kernel: int = 7,
        dropout: float = 0.5,
        with_3d: bool = True,
    ):
        super().__init__()
        check_depth_and_width(depth, width)
        if version not in TEMPORAL_STRIDES:
            raise ValueError(f"unknown MiCT version {version!r}; choose one of {sorted(TEMPORAL_STRIDES)}")
        if temporal_kernel not in TEMPORAL_KERNELS:
            raise ValueError(
                f"unsupported temporal_kernel {temporal_kernel!r} for the first 3D convolution; "
                f"choose one of {list(TEMPORAL_KERNELS)}"
            )
        self.depth, self.width, self.version = depth, width, version
        self.temporal_kernel, self.with_3d = temporal_kernel, with_3d
        strides = TEMPORAL_STRIDES[version]

        self.stem = MiCTStem(width, temporal_kernel, temporal_stride=strides[0], with_3d=with_3d)

        def tube(i, inplanes, planes, blocks, stride):
            return MiCTStage(inplanes, planes, blocks, strides[i + 1], stride, with_3d=with_3d)

        channels = add_stages(self, depth, width, tube)
        self.head = ClipHead(channels, num_classes, dropout)
        init_3d_layers(self)

    def tubes(self) -> dict[str, "MiCTStem | MiCTStage"]:
        """The five Mixed Convolutional Tubes by name: the stem and the first block of each stage."""
        return {"stem": self.stem, **{f"layer{i}": getattr(self, f"layer{i}") for i in range(1, 5)}}

    @property
    def temporal_stride(self) -> int:
        """How many input frames one output time step spans (16 for v1, 4 for v2)."""
        total = 2  # the stem's max-pool
        for s in TEMPORAL_STRIDES[self.version]:
            total *= s
        return total

    def features(self, clip: torch.Tensor) -> torch.Tensor:
        x = self.stem(clip)
        for stage in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = stage(x)
        return x


def mict_resnet18(**options) -> MiCTResNet:
    return MiCTResNet(depth=18, **options)


def mict_resnet34(**options) -> MiCTResNet:
    return MiCTResNet(depth=34, **options)


def mict_resnet18_2d(**options) -> MiCTResNet:
    return MiCTResNet(depth=18, with_3d=False, **options)


def mict_resnet34_2d(**options) -> MiCTResNet:
    return MiCTResNet(depth=34, with_3d=False, **options)
