"""Spatial augmentation that treats a clip as one thing: every frame gets the same transform.

Parameters are drawn once per clip (`draw`), then applied to the whole T×C×H×W uint8
tensor at once (`apply`; `steps` shows each stage, made with torchvision's functional
ops): a flip, a crop at the centre or a corner whose width and height are drawn independently from
{128, 144, 160, 176, 192}/192 of the base height, resized to the crop size, then
saturation, brightness and contrast factors from [0.5, 1.5] in the original's order,
and ImageNet normalisation. A different crop per frame would look like camera shake,
a different colour per frame like flicker: motion that is not in the video.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: Crop sides of the original, in pixels of a 192-pixel-high base frame.
CROP_SCALES = (128, 144, 160, 176, 192)
CROP_POSITIONS = ("center", "top_left", "top_right", "bottom_left", "bottom_right")


@dataclass(frozen=True)
class ClipAugmentation:
    """What was drawn for one clip, so that a notebook can show it."""

    flip: bool
    position: str
    box: tuple[int, int, int, int]  # top, left, height, width in the base-size frame
    saturation: float
    brightness: float
    contrast: float


def resize_to_base(clip: torch.Tensor, base_size: int) -> torch.Tensor:
    """Resize T×C×H×W so that H = base_size, keeping the aspect ratio (a no-op when prepared so)."""
    height, width = clip.shape[-2:]
    if height == base_size:
        return clip
    return TF.resize(clip, [base_size, int(width * base_size / height)], antialias=True)


def crop_box(position: str, crop_height: int, crop_width: int, height: int, width: int) -> tuple[int, int, int, int]:
    """(top, left, height, width) of a crop at the centre or a corner of a height×width frame."""
    if position == "center":
        return (height // 2 - crop_height // 2, width // 2 - crop_width // 2, crop_height, crop_width)
    top = 0 if position.startswith("top") else height - crop_height
    left = 0 if position.endswith("left") else width - crop_width
    return (top, left, crop_height, crop_width)


_MEAN = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
_STD = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)


def to_unit_float(clip: torch.Tensor) -> torch.Tensor:
    """uint8 T×C×H×W → contiguous float32 in [0, 1], in one pass; float clips pass through.

    Decoded frames are channels-last (T·H·W·C in memory), where torchvision's uint8
    crop and resize are fastest; the float colour ops are fastest on contiguous clips.
    """
    if clip.dtype != torch.uint8:
        return clip
    return clip.to(torch.float32, memory_format=torch.contiguous_format).div_(255)


def normalize(clip: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """T×C×H×W (uint8, or float in [0, 1]) → float C×T×H×W with ImageNet's mean and std.

    In place on a fresh float copy (or on `clip` itself if `inplace`): torchvision's
    to_dtype + normalize cost several times more on a whole clip, and this is the
    data loader's hot path.
    """
    if clip.dtype == torch.uint8:
        frames = to_unit_float(clip)
    else:
        frames = clip if inplace else clip.clone(memory_format=torch.contiguous_format)
    return frames.sub_(_MEAN).div_(_STD).transpose(0, 1)


def denormalize(clip: torch.Tensor) -> torch.Tensor:
    """The inverse of `normalize`: float C×T×H×W → uint8 T×C×H×W, for display."""
    frames = clip.transpose(0, 1)
    return ((frames * _STD + _MEAN).clamp(0, 1) * 255).round().to(torch.uint8)


def blend_(clip: torch.Tensor, other: torch.Tensor, ratio: float) -> torch.Tensor:
    """`clip` ← ratio·clip + (1 − ratio)·other, clamped to [0, 1]: torchvision's blend, in place."""
    ratio = float(ratio)
    return clip.mul_(ratio).add_(other, alpha=1.0 - ratio).clamp_(0, 1.0)


def adjust_colour_(clip: torch.Tensor, params: ClipAugmentation) -> torch.Tensor:
    """Saturation, brightness, then contrast of a float clip in [0, 1], in place.

    The arithmetic of torchvision's `adjust_saturation`, `adjust_brightness` and
    `adjust_contrast` on float tensors, in their order, without a new clip for each step:
    allocating and filling fresh memory five times costs the loader more than the arithmetic.
    """
    blend_(clip, TF.rgb_to_grayscale(clip), params.saturation)
    clip.mul_(float(params.brightness)).clamp_(0, 1.0)
    return blend_(clip, TF.rgb_to_grayscale(clip).mean(dim=(-3, -2, -1), keepdim=True), params.contrast)


class TrainTransform:
    """The original's training augmentation, drawn once per clip."""

    def __init__(self, crop_size: int = 160, base_size: int = 192, *, hflip: bool = True,
                 scales: tuple[int, ...] = CROP_SCALES, colour_jitter: float = 0.5):
        self.crop_size, self.base_size, self.hflip = crop_size, base_size, hflip
        # The original's crop sides are pixels of a 192-pixel-high frame; scale them to ours.
        self.crop_sides = tuple(round(s * base_size / 192) for s in scales)
        self.colour_jitter = colour_jitter

    def draw(self, generator: torch.Generator, height: int, width: int) -> ClipAugmentation:
        def uniform(low: float, high: float) -> float:
            return low + (high - low) * float(torch.rand((), generator=generator))

        def choice(options):
            return options[int(torch.randint(len(options), (), generator=generator))]

        flip = self.hflip and bool(torch.rand((), generator=generator) < 0.5)
        crop_width, crop_height = choice(self.crop_sides), choice(self.crop_sides)
        position = choice(CROP_POSITIONS)
        j = self.colour_jitter
        factors = [uniform(1 - j, 1 + j) for _ in range(3)]
        box = crop_box(position, min(crop_height, height), min(crop_width, width), height, width)
        return ClipAugmentation(flip, position, box, *factors)

    def steps(self, clip: torch.Tensor, params: ClipAugmentation) -> list[tuple[str, torch.Tensor]]:
        """Every intermediate clip (T×C×H×W) by name, from the input to the colour jitter,
        made with torchvision's functional ops.

        Colour is adjusted on floats in [0, 1] (one conversion instead of three uint8
        round trips); the factors and their order are the original's.
        """
        out = [("input", clip)]
        clip = resize_to_base(clip, self.base_size)
        out.append(("resized to base", clip))
        if params.flip:
            clip = TF.horizontal_flip(clip)
            out.append(("flipped", clip))
        top, left, height, width = params.box
        clip = TF.resized_crop(clip, top, left, height, width, [self.crop_size, self.crop_size], antialias=True)
        out.append((f"{params.position} crop {width}×{height} → {self.crop_size}", clip))
        clip = to_unit_float(clip)
        for name, adjust in (("saturation", TF.adjust_saturation), ("brightness", TF.adjust_brightness),
                             ("contrast", TF.adjust_contrast)):
            factor = getattr(params, name)
            clip = adjust(clip, factor)
            out.append((f"{name} ×{factor:.2f}", clip))
        return out

    def apply(self, clip: torch.Tensor, params: ClipAugmentation, normalized: bool = True) -> torch.Tensor:
        """uint8 T×C×H×W → float C×T×H×W ready for a network (or T×C×H×W in [0, 1] if not `normalized`).

        The clip of `steps`, bit for bit (tests/test_clips.py checks it), made faster for the
        training loader: the crop is a slice, resized by the same uint8 interpolation, and the
        colour is adjusted in place by `adjust_colour_`.
        """
        clip = resize_to_base(clip, self.base_size)
        if params.flip:
            clip = clip.flip(-1)
        top, left, height, width = params.box
        clip = clip[..., top : top + height, left : left + width]
        if (height, width) != (self.crop_size, self.crop_size):
            clip = F.interpolate(clip, size=[self.crop_size, self.crop_size], mode="bilinear",
                                 align_corners=False, antialias=True)
        clip = adjust_colour_(to_unit_float(clip), params)
        return normalize(clip, inplace=True) if normalized else clip

    def __call__(self, clip: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, ClipAugmentation]:
        height, width = resize_to_base(clip[:1], self.base_size).shape[-2:]
        params = self.draw(generator, height, width)
        return self.apply(clip, params), params


class EvalTransform:
    """Test-time preprocessing: resize to the base size, centre crop, normalise."""

    def __init__(self, crop_size: int = 160, base_size: int = 192):
        self.crop_size, self.base_size = crop_size, base_size

    def apply(self, clip: torch.Tensor, normalized: bool = True) -> torch.Tensor:
        clip = TF.center_crop(resize_to_base(clip, self.base_size), [self.crop_size, self.crop_size])
        return normalize(clip) if normalized else to_unit_float(clip)

    def __call__(self, clip: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, None]:
        return self.apply(clip), None
