"""Benchmarks, one module per thing measured: models (`mict speed`), the data loader
(`mict bench-data`), preparation (`mict bench-prepare`) and training (`mict bench-train`)."""

from .loader import data_throughput, original_pil_clip
from .models import (
    MEMORY_NOTE,
    add_relative_fps,
    benchmark_model,
    benchmark_models,
    compile_for_inference,
    count_flops,
    format_table,
    matmul_rate,
    measure_latency,
    peak_memory_bytes,
)
from .prepare import prepare_throughput, ucf_like_videos
from .training import loader_operators, model_step_operators, training_throughput

__all__ = [
    "MEMORY_NOTE", "add_relative_fps", "benchmark_model", "benchmark_models", "compile_for_inference",
    "count_flops", "data_throughput", "format_table", "loader_operators", "matmul_rate", "measure_latency",
    "model_step_operators",
    "original_pil_clip", "peak_memory_bytes", "prepare_throughput", "training_throughput", "ucf_like_videos",
]
