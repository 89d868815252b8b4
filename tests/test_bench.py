"""The benchmarks report sane numbers and the `mict speed` command prints them."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from mict.bench import (
    benchmark_models,
    compile_for_inference,
    count_flops,
    data_throughput,
    format_table,
    loader_operators,
    model_step_operators,
    training_throughput,
)
from mict.bench.saved import load_table, save_table, side_by_side
from mict.bench.training import alternating_steps, paired_ratio
from mict.cli import main
from mict.config import make_config
from mict.data import ClipDataset
from mict.errors import DataError, MissingFileError
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
    assert math.isclose(mict["gflop_per_s"], mict["gflops_per_clip"] * mict["clips_per_s"], rel_tol=1e-6)
    assert table.attrs["matmul_gflop_per_s"] > 0  # measured, since not given
    assert math.isclose(mict["of_matmul"], mict["gflop_per_s"] / table.attrs["matmul_gflop_per_s"], rel_tol=1e-6)
    # at least the weights and the input are resident
    weights_mb = mict["params"] * 4 / 2**20
    assert mict["peak_memory_mb"] > weights_mb
    assert "relative_fps" in format_table(table) and "peak_memory_mb: weights + input" in format_table(table)


def test_the_matmul_rate_counts_two_flops_per_multiply_add_over_the_median_pass(monkeypatch):
    import mict.bench.models as bench_models

    monkeypatch.setattr(bench_models, "measure_latency", lambda *args, **kwargs: [0.5, 0.25, 2.0])
    assert bench_models.matmul_rate(size=64) == pytest.approx(2 * 64**3 / 0.5 / 1e9)


def test_the_table_names_the_matmul_rate_it_compares_with():
    table = benchmark_models(["frame_resnet18"], width=8, num_classes=5, frames=4, size=32, runs=1, warmup=0,
                             memory=False, matmul_gflop_per_s=400.0)
    assert table["of_matmul"].iloc[0] == pytest.approx(table["gflop_per_s"].iloc[0] / 400.0)
    assert "this device's float32 matrix product, 400 GFLOP/s" in format_table(table)
    assert "peak_memory_mb:" not in format_table(table)  # not measured, so not explained


def test_relative_fps_divides_by_the_baseline_models_frames_per_second():
    table = benchmark_models(["mict_resnet18", "frame_resnet18"], width=8, num_classes=5, frames=8, size=32,
                             runs=2, warmup=0, memory=False, baseline="frame_resnet18")
    mict, frame = table.set_index("model")["frames_per_s"][["mict_resnet18", "frame_resnet18"]]
    assert table.set_index("model")["relative_fps"]["mict_resnet18"] == pytest.approx(mict / frame)
    with pytest.raises(ValueError, match="not among the benchmarked models"):
        benchmark_models(["mict_resnet18"], width=8, frames=4, size=32, runs=1, warmup=0, memory=False,
                         baseline="resnet3d_18")


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


def test_a_saved_benchmark_reads_back_and_sits_beside_a_new_one(tmp_path):
    before = pd.DataFrame({"measure": ["model", "loader"], "clips_per_s": [100.0, 400.0]})
    before.attrs.update(loop_vs_model=0.8, bottleneck="model", not_kept=[1, 2])
    save_table(before, tmp_path / "before.json", command="bench-train")
    loaded = load_table(tmp_path / "before.json", command="bench-train")
    pd.testing.assert_frame_equal(loaded, before)
    assert loaded.attrs["loop_vs_model"] == 0.8 and "not_kept" not in loaded.attrs
    assert loaded.attrs["machine"]["threads"] == torch.get_num_threads()
    assert loaded.attrs["machine"]["capability"] == torch.backends.cpu.get_cpu_capability()
    now = pd.DataFrame({"measure": ["loader", "model", "loop"], "clips_per_s": [200.0, 150.0, 120.0]})
    table = side_by_side(loaded, now, key="measure", value="clips_per_s").set_index("measure")
    assert list(table.index) == ["model", "loader", "loop"]  # the saved order, then what is new
    assert table.loc["model", "now / before"] == 1.5 and table.loc["loader", "now / before"] == 0.5
    assert math.isnan(table.loc["loop", "clips_per_s before"]) and math.isnan(table.loc["loop", "now / before"])


def test_a_wrong_saved_benchmark_is_named_with_the_fix(tmp_path):
    with pytest.raises(MissingFileError, match="--save"):
        load_table(tmp_path / "absent.json", command="speed")
    (tmp_path / "notes.json").write_text("not json")
    with pytest.raises(DataError, match="notes.json: not a saved benchmark"):
        load_table(tmp_path / "notes.json", command="speed")
    (tmp_path / "cut.json").write_text('{"format": "mict-benchmark/1", "command": "speed"}')
    with pytest.raises(DataError, match="cut.json: not a saved benchmark"):
        load_table(tmp_path / "cut.json", command="speed")
    save_table(pd.DataFrame({"model": ["m"], "latency_ms": [1.0]}), tmp_path / "speed.json", command="speed")
    with pytest.raises(DataError, match="like with like"):
        load_table(tmp_path / "speed.json", command="bench-train")


def test_speed_command_prints_a_run_beside_the_saved_one(capsys, tmp_path):
    tiny = ["speed", "--model", "frame_resnet18", "--width", "4", "--frames", "2", "--size", "32", "--runs", "2",
            "--warmup", "0", "--no-memory"]
    assert main([*tiny, "--save", str(tmp_path / "before.json")]) == 0
    assert main([*tiny, "--against", str(tmp_path / "before.json")]) == 0
    out = capsys.readouterr().out
    assert "latency_ms before" in out and "frames_per_s now" in out and "now / before" in out
    assert main([*tiny, "--against", str(tmp_path / "absent.json")]) == 2
    assert "no such benchmark file" in capsys.readouterr().err


def test_speed_command_rejects_an_unknown_model(capsys):
    with pytest.raises(SystemExit):
        main(["speed", "--model", "resnet50"])
    assert "invalid choice" in capsys.readouterr().err


def tiny_training(prepared_root):
    return make_config("quick", data=str(prepared_root), width=4, frames=4, crop_size=32, base_size=36,
                       batch_size=4)


def test_training_throughput_measures_model_loader_and_both(prepared_root):
    table = training_throughput(tiny_training(prepared_root), steps=2, warmup=1, rounds=2)
    assert list(table["measure"]) == ["model step only (random clips)",
                                      "data loader only, JPEG frames (0 workers)",
                                      "data loader only, decoded frames (0 workers)",
                                      "training loop, JPEG frames", "training loop, decoded frames"]
    assert (table["clips_per_s"] > 0).all() and table["of the model step"].iloc[0] == 1
    assert "float32" in table.attrs["input"] and "training reads decoded frames" in table.attrs["input"]
    assert table.attrs["loop_vs_model"] == table["of the model step"].iloc[-1]
    assert table.attrs["paired_low"] <= table.attrs["paired_loop_vs_model"] <= table.attrs["paired_high"]


def test_alternating_steps_time_a_model_step_then_a_loop_step_per_batch():
    calls = []
    seconds = alternating_steps(lambda: calls.append("model"), iter([(1, "a"), (2, "b")]),
                                lambda clips, labels: calls.append(("loop", clips, labels)))
    assert seconds.shape == (2, 2) and (seconds >= 0).all()
    assert calls == ["model", ("loop", 1, "a"), "model", ("loop", 2, "b"), "model"]


def test_the_paired_ratio_sees_through_a_machine_that_slows_down():
    """The machine slows down fivefold halfway; a loop step costs 1.25 model steps throughout. Medians of
    two measures taken at different times would mix the two speeds; the pairs do not."""
    speed = np.repeat([1.0, 5.0], 50) * np.random.default_rng(0).uniform(0.95, 1.05, 100)
    seconds = np.column_stack([0.1 * speed, 0.125 * speed])
    paired = paired_ratio(seconds)
    assert paired["paired_loop_vs_model"] == pytest.approx(0.8)
    assert paired["paired_low"] < 0.8 < paired["paired_high"] and paired["paired_high"] - paired["paired_low"] < 0.02
    assert math.isnan(paired_ratio(seconds[:1])["paired_low"])


def test_the_model_step_profile_names_its_slowest_operators_and_counts_backward_too(prepared_root):
    config = tiny_training(prepared_root)
    table = model_step_operators(config, classes=5, steps=1, warmup=1, top=4)
    assert len(table) == 4 and table["ms per step"].is_monotonic_decreasing
    assert table["operator"].str.contains("convolution").any()  # a ResNet's time goes to its convolutions
    assert (table["of the step"] > 0).all() and table["of the step"].sum() <= 1
    torch.manual_seed(0)
    model = get_model(config.model, num_classes=5, **{**config.model_options(), "pretrained": False})
    forward = count_flops(model, torch.randn(config.batch_size, 3, config.frames, config.crop_size,
                                             config.crop_size)) / 1e9
    # backward costs about twice the forward pass, less the input gradient of the first layers
    assert 2 * forward < table.attrs["gflop_per_step"] <= 3 * forward
    assert table.attrs["gflop_per_s"] == pytest.approx(table.attrs["gflop_per_step"] / table.attrs["step_ms"] * 1000)
    assert table.attrs["of_matmul"] == pytest.approx(table.attrs["gflop_per_s"] / table.attrs["matmul_gflop_per_s"])


def test_the_loader_profile_accounts_for_every_microsecond_of_a_clip(prepared_root):
    config = tiny_training(prepared_root)
    table = loader_operators(config, batches=3, top=50)
    assert table.attrs["store"] == "decoded frames" and table.attrs["clip_us"] > 0
    operators, outside = table.iloc[:-1], table.iloc[-1]
    assert outside["operator"] == "outside PyTorch operators" and outside["µs per clip"] > 0
    assert operators["µs per clip"].is_monotonic_decreasing and (operators["µs per clip"] > 0).all()
    assert table["µs per clip"].sum() == pytest.approx(table.attrs["clip_us"])
    assert table["of the clip"].sum() == pytest.approx(1)
    # each training clip is resized to the crop size once, and the batch is stacked
    calls = operators.set_index("operator")["calls per clip"]
    assert calls.filter(like="upsample").sum() == pytest.approx(1) and "stack" in calls


@pytest.mark.parametrize("model_seconds, loader_seconds, bottleneck", [(1.0, 4.0, "data loader"),
                                                                     (4.0, 1.0, "model")])
def test_the_slower_stage_is_named_the_bottleneck(prepared_root, monkeypatch, model_seconds, loader_seconds,
                                                  bottleneck):
    """Timings are injected (model, loader, both, in the order they are measured), so the verdict does
    not depend on how busy the machine is."""
    import mict.bench.training

    # model, JPEG loader, decoded loader, JPEG loop, decoded loop
    timings = iter([model_seconds, 10.0, loader_seconds, 11.0, model_seconds + loader_seconds])
    monkeypatch.setattr(mict.bench.training, "_seconds", lambda run: (run(), next(timings))[1])
    table = training_throughput(tiny_training(prepared_root), steps=2, warmup=1, rounds=1)
    assert table.attrs["bottleneck"] == bottleneck
    clips = table.set_index("measure")["clips_per_s"]
    assert clips["model step only (random clips)"] == pytest.approx(2 * 4 / model_seconds)
    assert clips["data loader only, decoded frames (0 workers)"] == pytest.approx(2 * 4 / loader_seconds)
    assert table.attrs["loop_vs_model"] == pytest.approx(model_seconds / (model_seconds + loader_seconds))
    assert table.attrs["loader_clips_per_s"] == clips["data loader only, decoded frames (0 workers)"]
    needed = table.attrs["loader_for_90_percent"]  # a loop that loads and steps in turn at 90% of the model
    assert 1 / (1 / clips["model step only (random clips)"] + 1 / needed) == pytest.approx(
        0.9 * clips["model step only (random clips)"])


def test_data_throughput_times_the_original_pipeline_on_the_same_frames(prepared_root, monkeypatch):
    import mict.bench.loader

    asked = []

    def recording(folder, indices, crop_size, base_size, generator):
        asked.append((folder, tuple(indices)))
        return torch.zeros(3, len(indices), crop_size, crop_size)

    monkeypatch.setattr(mict.bench.loader, "original_pil_clip", recording)
    table = data_throughput(prepared_root, frames=4, crop_size=32, base_size=36, clips=3)
    dataset = ClipDataset(prepared_root, subset="trainval", frames=4, crop_size=32, base_size=36, augment=True)
    expected = [(prepared_root / dataset.videos["frames_dir"].iloc[i],
                 dataset.temporal_samples(i, dataset.generator(i))[0].indices) for i in (0, 0, 1, 2)]
    assert asked == expected  # a warm-up clip, then the same three clips the mict pipeline loads
    assert len(table) == 2 and (table["clips_per_s"] > 0).all()


def test_the_original_layout_is_measured_beside_ours_with_the_same_outputs():
    table = benchmark_models(["mict_resnet18", "r3d_18"], width=64, num_classes=5, frames=4, size=32, runs=1,
                             warmup=0, memory=False, original_layout=True, baseline="mict_resnet18 (original layout)")
    assert list(table["model"]) == ["mict_resnet18", "mict_resnet18 (original layout)", "r3d_18"]
    assert table.set_index("model")["gflops_per_clip"].iloc[0] == table.set_index("model")["gflops_per_clip"].iloc[1]
    torch.manual_seed(0)
    model = get_model("mict_resnet18", width=8, num_classes=5).eval()
    clip = torch.randn(2, 3, 5, 32, 32)
    with torch.no_grad():
        ours = model(clip)
        model.channels_last = False
        torch.testing.assert_close(model(clip), ours, rtol=1e-4, atol=1e-5)  # a layout never changes a value


def test_a_model_compiled_for_inference_gives_the_eager_outputs_and_its_own_row():
    torch.manual_seed(0)
    model = get_model("mict_resnet18", width=8, num_classes=5).eval()
    clip = torch.randn(2, 3, 4, 32, 32)
    with torch.inference_mode():
        eager = model(clip)
        compiled = compile_for_inference(model, clip)(clip)
    torch.testing.assert_close(compiled, eager, rtol=1e-4, atol=1e-5)  # batch norms folded, not dropped
    table = benchmark_models(["mict_resnet18"], width=8, num_classes=5, frames=4, size=32, runs=2, warmup=1,
                             memory=False, compiled=True)
    assert list(table["model"]) == ["mict_resnet18", "mict_resnet18 (compiled)"]
    assert table["gflops_per_clip"].nunique() == 1 and (table["latency_ms"] > 0).all()
