"""Measuring the data loader: training clips/s of this project's pipeline against the original's."""

import time
from pathlib import Path

import pandas as pd
import torch

from ..data import ClipDataset
from ..data.augment import CROP_SCALES, IMAGENET_MEAN, IMAGENET_STD, crop_box


def original_pil_clip(folder: Path, indices, crop_size: int, base_size: int, generator: torch.Generator):
    """The original's training pipeline, frame by frame in PIL, re-implemented for comparison:
    open each JPEG, mirror, resize to the base size, corner/centre crop, resize to the crop
    size, ImageEnhance colour, brightness and contrast, ToTensor and Normalize, then stack."""
    from PIL import Image, ImageEnhance
    from torchvision.transforms import Compose, Normalize, ToTensor

    def draw(n: int) -> int:
        return int(torch.randint(n, (), generator=generator))

    to_tensor = Compose([ToTensor(), Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    clip = [Image.open(folder / f"{i + 1:05d}.jpg").convert("RGB") for i in indices]
    if draw(2):
        clip = [im.transpose(Image.FLIP_LEFT_RIGHT) for im in clip]
    w, h = clip[0].size
    size = (int(w * base_size / h), base_size)
    clip = [im.resize(size, Image.BILINEAR) for im in clip]
    sides = [round(s * base_size / 192) for s in CROP_SCALES]
    position = ("center", "top_left", "top_right", "bottom_left", "bottom_right")[draw(5)]
    top, left, ch, cw = crop_box(position, sides[draw(5)], sides[draw(5)], size[1], size[0])
    clip = [im.crop((left, top, left + cw, top + ch)).resize((crop_size, crop_size), Image.BILINEAR) for im in clip]
    for enhance in (ImageEnhance.Color, ImageEnhance.Brightness, ImageEnhance.Contrast):
        factor = 0.5 + float(torch.rand((), generator=generator))
        clip = [enhance(im).enhance(factor) for im in clip]
    return torch.stack([to_tensor(im) for im in clip], dim=1)


def data_throughput(root: str | Path, *, original_root: str | Path | None = None, frames: int = 16,
                    crop_size: int = 160, base_size: int = 192, clips: int = 100, threads: int = 1,
                    seed: int = 0) -> pd.DataFrame:
    """Training clips/s of this project's loader and of the original's PIL pipeline, one process.

    All read prepared JPEGs and sample the same frames; with `threads=1` the figure is per
    CPU core (a DataLoader with N workers scales it by about N). `original_root` holds the
    same videos prepared at their source size, as the original's ffmpeg step left them
    (320×240 for UCF-101), so the original pipeline also pays for its resize to the base.
    """
    dataset = ClipDataset(root, subset="trainval", frames=frames, crop_size=crop_size, base_size=base_size,
                          seed=seed, augment=True)
    originals = [("original: PIL frame by frame, same frames", Path(root))]
    if original_root is not None:
        originals.insert(0, ("original: PIL frame by frame, source-size frames", Path(original_root)))

    def original(folder_root: Path):
        def make(i: int) -> torch.Tensor:
            indices = dataset.temporal_samples(i, dataset.generator(i))[0].indices
            folder = folder_root / dataset.videos["frames_dir"].iloc[i]
            return original_pil_clip(folder, indices, crop_size, base_size, dataset.generator(i))
        return make

    pipelines = [("mict: whole-clip uint8 tensors (torchvision v2)", lambda i: dataset[i][0])]
    pipelines += [(name, original(folder_root)) for name, folder_root in originals]
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    rows = []
    try:
        order = [i % len(dataset) for i in range(clips)]
        for name, make in pipelines:
            make(order[0])  # warm-up: imports, allocations
            start = time.perf_counter()
            for i in order:
                clip = make(i)
            seconds = time.perf_counter() - start
            assert clip.shape == (3, frames, crop_size, crop_size)
            rows.append({"pipeline": name, "clips": clips, "seconds": seconds, "clips_per_s": clips / seconds,
                         "clips_per_s_per_core": clips / seconds / threads})
    finally:
        torch.set_num_threads(previous)
    table = pd.DataFrame(rows)
    table["speedup"] = table["clips_per_s"] / table["clips_per_s"].iloc[1]
    table.attrs["input"] = (f"{frames}×{crop_size}×{crop_size} training clips from {root}; "
                            f"speedup over '{table['pipeline'].iloc[1]}'")
    return table
