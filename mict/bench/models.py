"""Measuring models: parameters, FLOPs, latency, throughput and peak memory.

Numbers, not impressions: every figure in the course's comparison tables comes from
`benchmark_models`, the same function `mict speed` prints.
"""

import contextlib
import copy
import functools
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

from ..models import count_parameters, get_model, model_spec
from ..runtime import resolve_device, synchronize

MEMORY_NOTE = {
    "cuda": "torch.cuda.max_memory_allocated during one forward pass (weights, input and activations)",
    "cpu": "weights + input + peak tensor memory allocated during one forward pass (torch.profiler)",
}


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
            synchronize(device)
            start = time.perf_counter()
            model(clip)
            synchronize(device)
            times.append(time.perf_counter() - start)
    return times


def matmul_rate(device: str | torch.device = "cpu", size: int = 2048, runs: int = 5, warmup: int = 1) -> float:
    """GFLOP/s of a float32 size×size matrix product on `device`, the best-tuned kernel it has.

    A model's own GFLOP/s against this rate says how much of the device's arithmetic speed the model
    uses, and so how much any change of layout or kernel could still gain.
    """
    device = resolve_device(device)
    generator = torch.Generator().manual_seed(0)
    left, right = (torch.randn(size, size, generator=generator).to(device) for _ in range(2))
    seconds = statistics.median(measure_latency(functools.partial(torch.mm, left), right, runs=runs, warmup=warmup))
    return 2 * size**3 / seconds / 1e9


def compile_for_inference(model: nn.Module, clip: torch.Tensor):
    """`model` compiled by inductor with freezing, warmed up on `clip`: the deployment path for inference.

    Freezing treats the weights as constants, so batch norms fold into the convolutions before them and
    the convolutions' weights are packed once for oneDNN; without it, every batch norm stays an operator
    of its own. The compiled model gives the eager one's outputs up to float rounding (`tests/test_bench.py`
    checks it) and must not be trained. Dynamo's caches are cleared first: models of one class share
    their compiled code's cache, and past its size limit dynamo would run the next one eagerly, unnoticed.
    """
    import torch._inductor.config as inductor_config

    torch._dynamo.reset()
    model = model.eval()
    compiled = torch.compile(model)
    with inductor_config.patch(freezing=True), torch.inference_mode():
        compiled(clip)  # compiles here, while freezing is on
    return compiled


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
    compiled: bool = False,
) -> dict:
    """One row of measurements for `model` on batch×3×frames×size×size random clips.

    `compiled` times `compile_for_inference(model)` instead (its FLOPs are the eager model's; its peak
    memory is not measured)."""
    device = resolve_device(device)
    torch.manual_seed(seed)
    model = model.to(device).eval()
    clip = torch.randn(batch, 3, frames, size, size, device=device)
    flops = count_flops(model, clip)
    timed = compile_for_inference(model, clip) if compiled else model
    memory = memory and not compiled
    times = measure_latency(timed, clip, runs=runs, warmup=warmup)
    latency = statistics.median(times)
    row = {
        "model": name,
        "params": count_parameters(model),
        "gflops_per_clip": flops / batch / 1e9,
        "latency_ms": latency * 1e3,
        "latency_iqr_ms": _iqr(times) * 1e3,
        "clips_per_s": batch / latency,
        "gflop_per_s": flops / latency / 1e9,
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
    original_layout: bool = False,
    compiled: bool = False,
    matmul_gflop_per_s: float | None = None,
    **measure_options,
) -> pd.DataFrame:
    """Measure several models under identical conditions; one row each.

    `relative_fps` is each model's frames/s over the baseline's (default: resnet3d_18
    when listed, else the first model). To compare variants of one model (say first
    3D kernels), call `benchmark_model` on each and `add_relative_fps` on the table.
    With `original_layout`, each of this project's models is measured a second time as the
    original implementation lays its tensors out: clips N·C·T·H·W-contiguous, every fold of
    time into the batch a transpose and a copy (row '<name> (original layout)'). With `compiled`, every
    row is measured again through `compile_for_inference` (rows '<name> (compiled)', '<name> (original
    layout, compiled)').
    `of_matmul` is each row's GFLOP/s over the device's float32 matrix-multiply rate (`matmul_rate`,
    measured here unless `matmul_gflop_per_s` gives it, say to share one measure between tables).
    """
    rows = []
    for name in names:
        spec = model_spec(name)
        options = {"num_classes": num_classes, **({"width": width} if spec.any_width else {})}
        options.update({k: v for k, v in (("version", version), ("temporal_kernel", temporal_kernel))
                        if k in spec.options})
        torch.manual_seed(0)
        model = get_model(name, **options)
        layouts = [("", model)]
        if original_layout and hasattr(model, "channels_last"):
            original = copy.deepcopy(model)
            original.channels_last = False
            layouts.append(("original layout", original))
        for layout, measured in layouts:
            rows.append(benchmark_model(measured, _row_name(name, layout), **measure_options))
        for layout, measured in layouts if compiled else []:
            rows.append(benchmark_model(measured, _row_name(name, layout, "compiled"), compiled=True,
                                        **measure_options))
    table = pd.DataFrame(rows)
    add_relative_fps(table, baseline)
    if matmul_gflop_per_s is None:
        matmul_gflop_per_s = matmul_rate(measure_options.get("device", "cpu"))
    table["of_matmul"] = table["gflop_per_s"] / matmul_gflop_per_s
    table.attrs["matmul_gflop_per_s"] = matmul_gflop_per_s
    table.attrs["memory_note"] = MEMORY_NOTE.get(table["device"].iloc[0], MEMORY_NOTE["cpu"])
    return table


def _row_name(name: str, *labels: str) -> str:
    shown = ", ".join(label for label in labels if label)
    return f"{name} ({shown})" if shown else name


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
        "model", "params", "gflops_per_clip", "latency_ms", "frames_per_s", "clips_per_s", "gflop_per_s",
        "of_matmul", "peak_memory_mb", "relative_fps",
    ]
    if "relative_fps" in shown:
        shown["relative_fps"] = shown["relative_fps"].map("{:.2f}×".format)
    if "of_matmul" in shown:
        shown["of_matmul"] = shown["of_matmul"].map("{:.0%}".format)
    text = shown[[c for c in columns if c in shown]].to_string(index=False, float_format="{:.1f}".format)
    first = table.iloc[0]
    header = (
        f"input {first['batch']}×3×{first['frames']}×{first['size']}×{first['size']} on {first['device']} "
        f"({first['threads']} threads); median latency"
    )
    footer = []
    if "baseline" in table.attrs:
        footer.append(f"relative_fps: frames/s over {table.attrs['baseline']}")
    if "matmul_gflop_per_s" in table.attrs:
        footer.append(f"gflop_per_s: FLOPs of a pass over its median latency; of_matmul: that over this "
                      f"device's float32 matrix product, {table.attrs['matmul_gflop_per_s']:.0f} GFLOP/s")
    if "memory_note" in table.attrs and "peak_memory_mb" in table and table["peak_memory_mb"].notna().any():
        footer.append(f"peak_memory_mb: {table.attrs['memory_note']}")
    return "\n".join([header, text, *footer])
