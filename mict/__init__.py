"""MiCT-Net on a ResNet backbone: models, UCF-101 and synthetic data, training and a notebook course."""

__version__ = "0.1.0"
