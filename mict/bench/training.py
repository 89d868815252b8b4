"""Measuring training: where a step's time goes, the model or the data loader, and what the decoded
frame store changes; inside the model step, which operators take the time and how close the step
comes to the arithmetic it must do; and inside the loader, which operators and how much Python.
Every step is `mict.train.optimisation_step` with the configuration's optimiser."""

import statistics
import time
from functools import partial
from itertools import islice

import numpy as np
import pandas as pd
import torch
from scipy import stats
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

from ..config import TrainConfig, frame_size_for
from ..data import ClipDataset, ensure_prepared, make_loader
from ..models import get_model
from ..optim import build_optimizer
from ..runtime import autocast_dtype
from ..train import optimisation_step
from .models import matmul_rate


def training_throughput(config: TrainConfig, *, steps: int = 60, warmup: int = 3, rounds: int = 3) -> pd.DataFrame:
    """Clips/s of the model step alone (random clips), of the data loader alone, and of both together
    as `mict train` runs them; the loader and the loop both reading JPEG frames and, where the prepared
    data has them, its decoded frames (`frames.npy`, what training uses).

    Every measure is taken `rounds` times, the rounds interleaved so that a slow spell of the machine
    does not fall on one measure only; the table gives the median. `attrs['loop_vs_model']` is the
    loop's clips/s over the model's: how much of the model's speed the data pipeline leaves to
    training. `attrs['bottleneck']` names the slower of model and loader; `attrs['loader_clips_per_s']`
    is the clips/s of the loader training uses, and `attrs['loader_for_90_percent']` the clips/s at
    which it would let a loop that loads and steps in turn reach 90% of the model step.

    A shared machine's speed drifts by more than the gap between loop and model, so each round also
    times the two step by step, alternating a model step on random clips with a loop step (load the
    next batch, then step on it): `attrs['paired_loop_vs_model']` is their ratio over all rounds, and
    `attrs['paired_low']`, `attrs['paired_high']` its 95% bootstrap interval over the pairs.
    """
    datasets, used = _training_datasets(config)
    step, clips, labels = _model_step(config, classes=len(datasets["JPEG frames"].classes))
    dtype, _ = autocast_dtype(config.amp, torch.device("cpu"))
    batch = config.batch_size
    loader = partial(_loader, config, batches=steps + warmup)

    for _ in range(warmup):
        step(clips, labels)

    def load_only(dataset):
        for _ in islice(iter(loader(dataset)), warmup, None):
            pass

    def both(dataset):
        for clips_, labels_ in islice(iter(loader(dataset)), warmup, None):
            step(clips_, labels_)

    measures = {"model step only (random clips)": lambda: [step(clips, labels) for _ in range(steps)]}
    # (the datasets read their decoded stores into memory when built, as every epoch after the first finds them)
    measures.update({f"data loader only, {store} ({config.workers} workers)": partial(load_only, dataset)
                     for store, dataset in datasets.items()})
    measures.update({f"training loop, {store}": partial(both, dataset) for store, dataset in datasets.items()})
    seconds, pairs = {name: [] for name in measures}, []
    for _ in range(rounds):
        for name, run in measures.items():
            seconds[name].append(_seconds(run))
        pairs.append(alternating_steps(partial(step, clips, labels), islice(iter(loader(datasets[used])), warmup, None),
                                       step))
    rows = [{"measure": name, "clips_per_s": batch * steps / statistics.median(times)}
            for name, times in seconds.items()]
    table = pd.DataFrame(rows)
    speed = table.set_index("measure")["clips_per_s"]
    model_only, loader_only = speed.iloc[0], speed[f"data loader only, {used} ({config.workers} workers)"]
    table["of the model step"] = table["clips_per_s"] / model_only
    table.attrs["bottleneck"] = "model" if model_only < loader_only else "data loader"
    table.attrs["loop_vs_model"] = speed[f"training loop, {used}"] / model_only
    table.attrs["loader_clips_per_s"] = loader_only
    table.attrs.update(paired_ratio(np.concatenate(pairs)))
    # loading then stepping in turn, the loop makes 1 / (1/model + 1/loader) clips/s: 90% of the
    # model step's once the loader makes nine times the model's clips/s
    table.attrs["loader_for_90_percent"] = 9 * model_only
    table.attrs["input"] = (f"{config.model} width {config.width}, batch {batch} × 3×{config.frames}×"
                            f"{config.crop_size}×{config.crop_size}, {config.optimizer}, {torch.get_num_threads()} "
                            f"threads, {'bf16 autocast' if dtype is not None else 'float32'}; training reads {used}")
    return table


def alternating_steps(model_step, batches, loop_step) -> np.ndarray:
    """Seconds of a model step alone and of the loop step after it, one row per batch of `batches`:
    two measures taken a step apart see the same speed of the machine."""
    rows, batches = [], iter(batches)
    while True:
        start = time.perf_counter()
        model_step()
        middle = time.perf_counter()
        batch = next(batches, None)
        if batch is None:
            return np.array(rows, dtype=float).reshape(-1, 2)
        loop_step(*batch)
        rows.append((middle - start, time.perf_counter() - middle))


def paired_ratio(seconds: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """The loop's clips/s over the model's from `alternating_steps` rows (model seconds over loop
    seconds, summed), with a bootstrap interval that resamples the pairs."""
    def ratio(model, loop, axis=-1):
        return model.sum(axis=axis) / loop.sum(axis=axis)

    estimate = float(ratio(seconds[:, 0], seconds[:, 1]))
    if len(seconds) < 2:
        return {"paired_loop_vs_model": estimate, "paired_low": float("nan"), "paired_high": float("nan")}
    interval = stats.bootstrap((seconds[:, 0], seconds[:, 1]), ratio, paired=True, vectorized=True,
                               confidence_level=confidence, method="percentile", n_resamples=2000,
                               random_state=np.random.default_rng(0)).confidence_interval
    return {"paired_loop_vs_model": estimate, "paired_low": float(interval.low), "paired_high": float(interval.high)}


def _training_datasets(config: TrainConfig) -> tuple[dict[str, ClipDataset], str]:
    """The training subset by frame store (JPEG frames, and the decoded frames when the prepared data
    has them; the quick profile's synthetic set is generated if missing), and the store `mict train`
    reads: the decoded frames where there are some."""
    synthesize_at = frame_size_for(config.base_size) if config.generates_synthetic_data() else None
    root = ensure_prepared(config.data_root(), synthesize_at=synthesize_at, synthetic=config.synthetic,
                           progress=False)
    datasets = {store: ClipDataset(root, subset="train", frames=config.frames, crop_size=config.crop_size,
                                   base_size=config.base_size, hflip=config.hflip, crop_scales=config.crop_scales,
                                   colour_jitter=config.colour_jitter, max_step=config.max_step, seed=config.seed,
                                   decoded=store == "decoded frames")
                for store in ("JPEG frames", "decoded frames")}
    if not (root / datasets["decoded frames"].videos["frames_dir"].iloc[0] / "frames.npy").is_file():
        del datasets["decoded frames"]  # frames too large to be stored decoded: training reads JPEGs
    return datasets, "decoded frames" if "decoded frames" in datasets else "JPEG frames"


def _loader(config: TrainConfig, dataset: ClipDataset, batches: int):
    """`batches` batches of the configuration's size, drawn at random with a fixed seed."""
    batch = config.batch_size
    sampler = torch.utils.data.RandomSampler(dataset, replacement=True, num_samples=batch * batches,
                                             generator=torch.Generator().manual_seed(0))
    return make_loader(dataset, batch, sampler, config.workers, torch.device("cpu"), drop_last=True)


def _model_step(config: TrainConfig, classes: int):
    """The configuration's model and optimiser, seeded as training seeds them, behind its optimisation
    step (`step(clips, labels)`), and a random batch of the configuration's shape."""
    torch.manual_seed(config.seed)
    model = get_model(config.model, num_classes=classes, **{**config.model_options(), "pretrained": False}).train()
    optimizer = build_optimizer(config, model)
    dtype, _ = autocast_dtype(config.amp, torch.device("cpu"))

    def step(clips, labels):
        optimisation_step(model, optimizer, clips, labels, autocast_dtype=dtype)

    clips = torch.randn(config.batch_size, 3, config.frames, config.crop_size, config.crop_size)
    return step, clips, torch.randint(0, classes, (config.batch_size,))


def _seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def model_step_operators(config: TrainConfig, *, classes: int = 10, steps: int = 3, warmup: int = 2,
                         top: int = 12) -> pd.DataFrame:
    """The operators that take a model step's time, on random clips of the configuration's shape: one
    row per operator and input shapes, by self CPU time per step, the slowest `top` of them.

    `attrs['step_ms']` is the median step time, measured without the profiler; `attrs['gflop_per_step']`
    the arithmetic of its forward and backward passes (`torch.utils.flop_counter`, a multiply-add
    counts 2), and `attrs['gflop_per_s']` their ratio. `attrs['of_matmul']` sets that beside the CPU's
    float32 matrix product (`matmul_rate`): it says how much a faster kernel could still win, as against
    doing less arithmetic.
    """
    step, clips, labels = _model_step(config, classes)
    for _ in range(warmup):
        step(clips, labels)
    counter = FlopCounterMode(display=False)
    with counter:
        step(clips, labels)
    step_ms = statistics.median(_seconds(partial(step, clips, labels)) for _ in range(steps)) * 1000
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as profiler:
        for _ in range(steps):
            step(clips, labels)
    events = [e for e in profiler.key_averages(group_by_input_shape=True) if e.key.startswith("aten::")]
    profiled = sum(e.self_cpu_time_total for e in events)
    # the profiler slows every operator down, so each one's share of the profiled time is scaled to the
    # step's time measured without it
    rows = [{"operator": e.key.removeprefix("aten::"), "input shapes": _shapes(e.input_shapes),
             "ms per step": step_ms * e.self_cpu_time_total / profiled, "calls per step": e.count / steps,
             "of the step": e.self_cpu_time_total / profiled} for e in events]
    table = pd.DataFrame(rows).sort_values("ms per step", ascending=False).head(top).reset_index(drop=True)
    table.attrs.update(step_ms=step_ms, gflop_per_step=counter.get_total_flops() / 1e9)
    table.attrs["gflop_per_s"] = table.attrs["gflop_per_step"] / (step_ms / 1000)
    table.attrs["matmul_gflop_per_s"] = matmul_rate()
    table.attrs["of_matmul"] = table.attrs["gflop_per_s"] / table.attrs["matmul_gflop_per_s"]
    return table


def loader_operators(config: TrainConfig, *, batches: int = 20, top: int = 12) -> pd.DataFrame:
    """Where the data loader's time goes, per training clip: the PyTorch operators that take it, by
    self CPU time, the slowest `top` of them, and one row for everything outside them (Python, NumPy:
    drawing the clip, indexing the frame store, building the batch).

    The loader is the one `mict train` reads (the decoded frames where the prepared data has them,
    0 workers). `attrs['clip_us']` is the time per clip measured without the profiler; each row's
    share is its share of the profiled time, scaled to it, as the profiler slows everything down.
    """
    datasets, used = _training_datasets(config)

    def load():
        for _ in _loader(config, datasets[used], batches):
            pass

    load()  # warm-up: the allocator's pools, the first calls' one-off costs
    clip_us = _seconds(load) / (batches * config.batch_size) * 1e6
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        profiled = _seconds(load)
    events = [e for e in profiler.key_averages() if e.key.startswith("aten::") and e.self_cpu_time_total > 0]
    to_clip_us = clip_us / (profiled * 1e6)  # a profiled µs of the whole run, as unprofiled µs of one clip
    rows = [{"operator": e.key.removeprefix("aten::"), "µs per clip": e.self_cpu_time_total * to_clip_us,
             "calls per clip": e.count / (batches * config.batch_size)} for e in events]
    table = pd.DataFrame(rows).sort_values("µs per clip", ascending=False).head(top)
    outside = clip_us - sum(e.self_cpu_time_total for e in events) * to_clip_us
    table = pd.concat([table, pd.DataFrame([{"operator": "outside PyTorch operators", "µs per clip": outside,
                                             "calls per clip": float("nan")}])], ignore_index=True)
    table["of the clip"] = table["µs per clip"] / clip_us
    table.attrs.update(clip_us=clip_us, store=used)
    return table


def _shapes(shapes) -> str:
    return " ".join("×".join(map(str, shape)) for shape in shapes if shape)
