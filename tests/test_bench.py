"""The benchmarks report sane numbers and the `mict speed` command prints them."""

import math

import pytest

from mict.bench import benchmark_models, data_throughput, format_table, training_throughput
from mict.cli import main
from mict.config import make_config
from mict.models import count_parameters, get_model


def test_benchmark_returns_sane_numbers():
    table = benchmark_models(["mict_resnet18", "frame_resnet18"], width=8, num_classes=5,
                             frames=8, size=32, runs=3, warmup=1)
    assert list(table["model"]) == ["mict_resnet18", "frame_resnet18"]
    mict = table.iloc[0]
    assert mict["params"] == count_parameters(get_model("mict_resnet18", width=8, num_classes=5))
    assert 0 < mict["gflops_per_clip"] < 1
    assert mict["latency_ms"] > 0
    assert math.isclose(mict["frames_per_s"], 8 / (mict["latency_ms"] / 1e3), rel_tol=1e-6)
    assert math.isclose(mict["clips_per_s"] * 8, mict["frames_per_s"], rel_tol=1e-6)
    # at least the weights and the input are resident
    weights_mb = mict["params"] * 4 / 2**20
    assert mict["peak_memory_mb"] > weights_mb
    assert table.attrs["baseline"] == "mict_resnet18" and table["relative_fps"].iloc[0] == 1
    assert "relative_fps" in format_table(table)


def test_flops_scale_with_the_first_kernel_and_the_clip_length():
    kernels = {k: benchmark_models(["mict_resnet18"], width=8, temporal_kernel=k, frames=8, size=32,
                                   runs=1, warmup=0, memory=False)["gflops_per_clip"].iloc[0]
               for k in (3, 7)}
    assert kernels[7] > kernels[3]
    longer = benchmark_models(["mict_resnet18"], width=8, frames=16, size=32, runs=1, warmup=0, memory=False)
    assert longer["gflops_per_clip"].iloc[0] > kernels[7]


def test_speed_command_compares_models(capsys, tmp_path):
    code = main(["speed", "--model", "mict_resnet18", "--model", "resnet3d_18", "--width", "8", "--frames", "4",
                 "--size", "32", "--runs", "2", "--warmup", "0", "--csv", str(tmp_path / "speed.csv")])
    out = capsys.readouterr().out
    assert code == 0
    assert "mict_resnet18" in out and "resnet3d_18" in out and "frames_per_s" in out
    assert (tmp_path / "speed.csv").exists()


def test_speed_command_rejects_an_unknown_model(capsys):
    with pytest.raises(SystemExit):
        main(["speed", "--model", "resnet50"])
    assert "invalid choice" in capsys.readouterr().err


def test_training_throughput_measures_model_loader_and_both(prepared_root):
    config = make_config("quick", data=str(prepared_root), width=4, frames=4, crop_size=32, base_size=36,
                         batch_size=4)
    table = training_throughput(config, steps=2, warmup=1)
    assert list(table["measure"]) == ["model step only (random clips)", "data loader only (0 workers)",
                                      "training loop (both)"]
    assert (table["clips_per_s"] > 0).all()
    model, loader = table["clips_per_s"].iloc[:2]
    assert table.attrs["bottleneck"] == ("model" if model < loader else "data loader")
    assert "float32" in table.attrs["input"]


def test_data_throughput_compares_with_the_original_pipeline(prepared_root):
    table = data_throughput(prepared_root, frames=4, crop_size=32, base_size=36, clips=4)
    assert len(table) >= 2 and (table["clips_per_s"] > 0).all()
    assert table["speedup"].iloc[1] == 1.0
