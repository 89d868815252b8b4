"""The frame baseline: a 2D ResNet on every frame, logits averaged over time.

Without any 3D convolution it cannot see motion: on classes that differ only by the
direction of a movement it can do no better than chance between them. Unlike
MiCT-ResNet's 2D path (`mict_resnet18_2d`), it keeps every frame through every stage.
Its module names are torchvision's, so ImageNet weights load unchanged.
"""

import torch
from torch import nn

from .common import ClipHead, VideoClassifier, add_stages, check_depth_and_width, resnet_stage_2d
from .layout import fold_time_into_batch, unfold_time_from_batch


def frame_stage(index: int, inplanes: int, planes: int, blocks: int, stride: int) -> nn.Sequential:
    return nn.Sequential(*resnet_stage_2d(inplanes, planes, blocks, stride))


class FrameResNet(VideoClassifier):
    def __init__(self, depth: int = 18, num_classes: int = 101, width: int = 64, dropout: float = 0.5):
        super().__init__()
        check_depth_and_width(depth, width)
        self.depth, self.width = depth, width
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        channels = add_stages(self, depth, width, frame_stage)
        self.head = ClipHead(channels, num_classes, dropout)

    temporal_stride = 1

    def features(self, clip: torch.Tensor) -> torch.Tensor:
        frames, time = fold_time_into_batch(clip)
        x = self.maxpool(self.relu(self.bn1(self.conv1(frames))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return unfold_time_from_batch(x, time)


def frame_resnet18(**options) -> FrameResNet:
    return FrameResNet(depth=18, **options)


def frame_resnet34(**options) -> FrameResNet:
    return FrameResNet(depth=34, **options)
