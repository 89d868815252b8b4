"""3D-ResNet (Hara, Kataoka and Satoh, CVPR 2018): every convolution is 3D.

The baseline MiCT-Net is compared with: twice the parameters of MiCT-ResNet-18
and several times its FLOPs, because every 3×3 kernel becomes 3×3×3.
"""

import torch
from torch import nn
from torchvision.models.video.resnet import BasicBlock as BasicBlock3d
from torchvision.models.video.resnet import Conv3DSimple

from .common import ClipHead, VideoClassifier, add_stages, check_depth_and_width, init_3d_layers


def resnet_stage_3d(index: int, inplanes: int, planes: int, blocks: int, stride: int) -> nn.Sequential:
    """3×3×3 BasicBlocks with a 1×1×1 conv + BN shortcut (Hara's shortcut type B)."""
    downsample = None
    if stride != 1 or inplanes != planes:
        downsample = nn.Sequential(
            nn.Conv3d(inplanes, planes, kernel_size=1, stride=stride, bias=False),
            nn.BatchNorm3d(planes),
        )
    layers = [BasicBlock3d(inplanes, planes, Conv3DSimple, stride=stride, downsample=downsample)]
    layers += [BasicBlock3d(planes, planes, Conv3DSimple) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class ResNet3d(VideoClassifier):
    """7×7×7 stem, four stages of 3D BasicBlocks, the same clip head as MiCT-ResNet.

    Dropout3d zeroes whole channels, so dropping before or after the spatio-temporal
    average is the same operation: the head matches the original's pool → drop → FC.
    """

    def __init__(self, depth: int = 18, num_classes: int = 101, width: int = 64, dropout: float = 0.5):
        super().__init__()
        check_depth_and_width(depth, width)
        self.depth, self.width = depth, width
        self.conv1 = nn.Conv3d(3, width, kernel_size=7, stride=(1, 2, 2), padding=3, bias=False)
        self.bn1 = nn.BatchNorm3d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool3d(kernel_size=3, stride=2, padding=1)
        channels = add_stages(self, depth, width, resnet_stage_3d)
        self.head = ClipHead(channels, num_classes, dropout)
        init_3d_layers(self)

    temporal_stride = 16

    def features(self, clip: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(clip))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


def resnet3d_18(**options) -> ResNet3d:
    return ResNet3d(depth=18, **options)


def resnet3d_34(**options) -> ResNet3d:
    return ResNet3d(depth=34, **options)
