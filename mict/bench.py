"""Measuring models: parameters, FLOPs, latency, throughput and peak memory.

Numbers, not impressions: every figure in the course's comparison tables comes from
`benchmark_models`, the same function `mict speed` prints.
"""

import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

from .models import MICT_MODELS, TORCHVISION_MODELS, count_parameters, get_model

MEMORY_NOTE = {
    "cuda": "torch.cuda.max_memory_allocated during one forward pass (weights, input and activations)",
    "cpu": "weights + input + peak tensor memory allocated during one forward pass (torch.profiler)",
}


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """'auto' or None picks cuda, then mps, then cpu."""
    if device in (None, "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is available; use --device cpu")
    return device


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def count_flops(model: nn.Module, clip: torch.Tensor) -> int:
    """FLOPs of one forward pass on `clip` (a multiply-add counts as 2), by torch.utils.flop_counter."""
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        model(clip)
    return counter.get_total_flops()


def measure_latency(model: nn.Module, clip: torch.Tensor, runs: int = 20, warmup: int = 3) -> list[float]:
    """Seconds per forward pass for `runs` timed passes after `warmup` untimed ones."""
    device = clip.device
    times = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(clip)
        for _ in range(runs):
            _synchronize(device)
            start = time.perf_counter()
            model(clip)
            _synchronize(device)
            times.append(time.perf_counter() - start)
    return times


def _tensor_bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


@contextlib.contextmanager
def _native_stderr_silenced():
    """The profiler's C++ backend logs to file descriptor 2 on every start and stop; mute it."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def peak_memory_bytes(model: nn.Module, clip: torch.Tensor) -> int:
    """Peak tensor memory of one inference pass; see MEMORY_NOTE for what each device measures."""
    device = clip.device
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        with torch.inference_mode():
            model(clip)
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device)
    resident = _tensor_bytes(list(model.parameters()) + list(model.buffers())) + _tensor_bytes([clip])
    with _native_stderr_silenced(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof, \
            torch.inference_mode():
        model(clip)
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "trace.json"
        prof.export_chrome_trace(str(trace))
        events = json.loads(trace.read_text())["traceEvents"]
    allocations = sorted(
        (e["ts"], e["args"]["Bytes"])
        for e in events
        if e.get("name") == "[memory]" and "Bytes" in e.get("args", {})
    )
    current = peak = 0
    for _, delta in allocations:
        current += delta
        peak = max(peak, current)
    return resident + peak


def benchmark_model(
    model: nn.Module,
    name: str,
    *,
    batch: int = 1,
    frames: int = 16,
    size: int = 160,
    device: str | torch.device = "cpu",
    runs: int = 20,
    warmup: int = 3,
    memory: bool = True,
    seed: int = 0,
) -> dict:
    """One row of measurements for `model` on batch×3×frames×size×size random clips."""
    device = resolve_device(device)
    torch.manual_seed(seed)
    model = model.to(device).eval()
    clip = torch.randn(batch, 3, frames, size, size, device=device)
    flops = count_flops(model, clip)
    times = measure_latency(model, clip, runs=runs, warmup=warmup)
    latency = statistics.median(times)
    row = {
        "model": name,
        "params": count_parameters(model),
        "gflops_per_clip": flops / batch / 1e9,
        "latency_ms": latency * 1e3,
        "latency_iqr_ms": _iqr(times) * 1e3,
        "clips_per_s": batch / latency,
        "frames_per_s": batch * frames / latency,
        "peak_memory_mb": peak_memory_bytes(model, clip) / 2**20 if memory else float("nan"),
        "batch": batch,
        "frames": frames,
        "size": size,
        "device": device.type,
        "threads": torch.get_num_threads(),
    }
    return row


def _iqr(values: list[float]) -> float:
    if len(values) < 4:
        return 0.0
    q = statistics.quantiles(values, n=4)
    return q[2] - q[0]


def benchmark_models(
    names: list[str] | tuple[str, ...] = ("mict_resnet18", "resnet3d_18"),
    *,
    width: int = 64,
    num_classes: int = 101,
    version: str = "v1",
    temporal_kernel: int = 7,
    baseline: str | None = None,
    **measure_options,
) -> pd.DataFrame:
    """Measure several models under identical conditions; one row each.

    `relative_fps` is each model's frames/s over the baseline's (default: resnet3d_18
    when listed, else the first model). To compare variants of one model (say first
    3D kernels), call `benchmark_model` on each and `add_relative_fps` on the table.
    """
    rows = []
    for name in names:
        options = {"num_classes": num_classes}
        if name not in TORCHVISION_MODELS:
            options["width"] = width
        if name in MICT_MODELS:
            options.update(version=version, temporal_kernel=temporal_kernel)
        torch.manual_seed(0)
        rows.append(benchmark_model(get_model(name, **options), name, **measure_options))
    table = pd.DataFrame(rows)
    add_relative_fps(table, baseline)
    table.attrs["memory_note"] = MEMORY_NOTE.get(table["device"].iloc[0], MEMORY_NOTE["cpu"])
    return table


def add_relative_fps(table: pd.DataFrame, baseline: str | None = None) -> None:
    """Add `relative_fps`: each row's frames/s over the baseline row's."""
    if baseline is None:
        baseline = "resnet3d_18" if "resnet3d_18" in set(table["model"]) else table["model"].iloc[0]
    if baseline not in set(table["model"]):
        raise ValueError(f"baseline {baseline!r} is not among the benchmarked models {list(table['model'])}")
    reference = table.loc[table["model"] == baseline, "frames_per_s"].iloc[0]
    table["relative_fps"] = table["frames_per_s"] / reference
    table.attrs["baseline"] = baseline


def format_table(table: pd.DataFrame) -> str:
    """A plain-text table for the terminal."""
    shown = table.copy()
    shown["params"] = (shown["params"] / 1e6).map("{:.2f}M".format)
    columns = [
        "model", "params", "gflops_per_clip", "latency_ms", "frames_per_s", "clips_per_s",
        "peak_memory_mb", "relative_fps",
    ]
    if "relative_fps" in shown:
        shown["relative_fps"] = shown["relative_fps"].map("{:.2f}×".format)
    text = shown[[c for c in columns if c in shown]].to_string(index=False, float_format="{:.1f}".format)
    first = table.iloc[0]
    header = (
        f"input {first['batch']}×3×{first['frames']}×{first['size']}×{first['size']} on {first['device']} "
        f"({first['threads']} threads); median latency"
    )
    footer = []
    if "baseline" in table.attrs:
        footer.append(f"relative_fps: frames/s over {table.attrs['baseline']}")
    if "memory_note" in table.attrs:
        footer.append(f"peak_memory_mb: {table.attrs['memory_note']}")
    return "\n".join([header, text, *footer])


# --- Data loading ---------------------------------------------------------------------------------

def original_pil_clip(folder: Path, indices, crop_size: int, base_size: int, generator: torch.Generator):
    """The original's training pipeline, frame by frame in PIL, re-implemented for comparison:
    open each JPEG, mirror, resize to the base size, corner/centre crop, resize to the crop
    size, ImageEnhance colour, brightness and contrast, ToTensor and Normalize, then stack."""
    from PIL import Image, ImageEnhance
    from torchvision.transforms import Compose, Normalize, ToTensor

    from .data.augment import CROP_SCALES, IMAGENET_MEAN, IMAGENET_STD, crop_box

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
    from .data import ClipDataset

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


# --- Preparation ----------------------------------------------------------------------------------

def ucf_like_videos(out: str | Path, classes: int = 4, groups: int = 21, clips: int = 1, seed: int = 0) -> Path:
    """A small synthetic dataset with UCF-101's frame size (320×240) and layout, for benchmarks."""
    from .data.synth import MOTION_CLASSES, SynthConfig, generate_dataset

    config = SynthConfig(classes=MOTION_CLASSES[:classes], groups=groups, clips_per_group=(clips, clips),
                         frames=(100, 200), width=320, height=240, seed=seed)
    generate_dataset(out, config, progress=False)
    return Path(out)


def prepare_throughput(root: str | Path, *, workers: int = 2, size: tuple[int, int] = (256, 192),
                       ffmpeg: str = "ffmpeg") -> pd.DataFrame:
    """Frames/s of `prepare_dataset` against the ffmpeg command line run once per video.

    The original ran `ffmpeg -i video.avi frames/%04d.jpg` for one video after another;
    the table also runs ffmpeg with the same resize and quality as ours, `workers` at a time.
    """
    import shutil
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    from .data import prepare_dataset
    from .data.ucf101 import find_videos

    if shutil.which(ffmpeg) is None:
        raise FileNotFoundError(f"{ffmpeg} is not installed; the comparison needs the ffmpeg command line "
                                f"(Debian: apt-get install ffmpeg)")
    videos = list(find_videos(root).values())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, target in ((f"mict prepare, {size[0]}×{size[1]}", size), ("mict prepare, original size", None)):
            out = Path(tmp) / f"mict-{len(rows)}"
            report = prepare_dataset(root, out, size=target, workers=workers, progress=False)
            rows.append({"method": label, "workers": workers, "frames": report.frames, "seconds": report.seconds})

        def run_ffmpeg(job):
            video, out, extra = job
            out.mkdir(parents=True)
            subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-i", str(video), *extra, str(out / "%05d.jpg")],
                           check=True)
            return len(list(out.iterdir()))

        like_ours = ["-vf", f"scale={size[0]}:{size[1]}:flags=area", "-q:v", "3"]
        for label, extra, parallel in (("ffmpeg per video, original size (as the original)", [], 1),
                                       (f"ffmpeg per video, {size[0]}×{size[1]}", like_ours, workers)):
            base = Path(tmp) / f"ffmpeg-{len(rows)}"
            jobs = [(v, base / v.parent.name / v.stem, extra) for v in videos]
            start = time.perf_counter()
            with ThreadPoolExecutor(parallel) as pool:
                frames = sum(pool.map(run_ffmpeg, jobs))
            rows.append({"method": label, "workers": parallel, "frames": frames,
                         "seconds": time.perf_counter() - start})
    table = pd.DataFrame(rows)
    table["frames_per_s"] = table["frames"] / table["seconds"]
    table.attrs["input"] = f"{len(videos)} videos under {root}"
    return table


# --- Training -------------------------------------------------------------------------------------

def training_throughput(config, *, steps: int = 60, warmup: int = 3) -> pd.DataFrame:
    """Where a training step's time goes: the model alone (random clips), the data loader
    alone, and both together as `mict train` runs them; clips/s for each.

    The slower of the first two is the bottleneck; the third shows what overlap achieves.
    """
    from itertools import islice

    from .data import ClipDataset
    from .models import get_model
    from .train import amp_settings, ensure_data, make_loader

    root = ensure_data(config, progress=False)
    dataset = ClipDataset(root, subset="train", frames=config.frames, crop_size=config.crop_size,
                          base_size=config.base_size, hflip=config.hflip, crop_scales=config.crop_scales,
                          colour_jitter=config.colour_jitter, max_step=config.max_step, seed=config.seed)
    model = get_model(config.model, num_classes=len(dataset.classes), **{**config.model_options(),
                                                                          "pretrained": False}).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    batch = config.batch_size
    loader = make_loader(dataset, batch, torch.utils.data.RandomSampler(dataset, replacement=True,
                                                                          num_samples=batch * (steps + warmup)),
                         config.workers, torch.device("cpu"), drop_last=True)

    dtype, _ = amp_settings(config, torch.device("cpu"))

    def step(clips, labels):
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
            loss = nn.functional.cross_entropy(model(clips).float(), labels)
        loss.backward()
        optimizer.step()

    clips = torch.randn(batch, 3, config.frames, config.crop_size, config.crop_size)
    labels = torch.randint(0, len(dataset.classes), (batch,))
    for _ in range(warmup):
        step(clips, labels)
    model_only = batch * steps / _seconds(lambda: [step(clips, labels) for _ in range(steps)])

    def load_only():
        for _ in islice(iter(loader), warmup, None):
            pass
    loader_only = batch * steps / _seconds(load_only)

    def both():
        for clips_, labels_ in islice(iter(loader), warmup, None):
            step(clips_, labels_)
    together = batch * steps / _seconds(both)
    rows = [
        {"measure": "model step only (random clips)", "clips_per_s": model_only},
        {"measure": f"data loader only ({config.workers} workers)", "clips_per_s": loader_only},
        {"measure": "training loop (both)", "clips_per_s": together},
    ]
    table = pd.DataFrame(rows)
    table.attrs["bottleneck"] = "model" if model_only < loader_only else "data loader"
    table.attrs["input"] = (f"{config.model} width {config.width}, batch {batch} × 3×{config.frames}×"
                            f"{config.crop_size}×{config.crop_size}, {torch.get_num_threads()} threads, "
                            f"{'bf16 autocast' if dtype is not None else 'float32'}")
    return table


def _seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start
