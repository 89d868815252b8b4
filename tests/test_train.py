"""Training: exact resume, checkpoints, honest selection, errors, schedules, DDP equivalence."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from mict.checkpoints import RunExistsError
from mict.config import TrainConfig, frame_size_for, make_config
from mict.data import DataNotPreparedError
from mict.metrics import RunningMetrics
from mict.optim import build_scheduler
from mict.runs import train_or_load
from mict.runtime import autocast_dtype
from mict.train import Trainer, TrainingDiverged, train


def tiny(prepared_root, out, **overrides) -> TrainConfig:
    values = dict(data=str(prepared_root), out=str(out), width=4, frames=4, crop_size=32, base_size=36,
                  batch_size=4, epochs=3, workers=0, lr=3e-3, dropout=0.2, seed=3)
    values.update(overrides)
    return make_config("quick", **values)


def weights(run_dir: Path, name: str = "last.pt") -> dict:
    return torch.load(run_dir / name, map_location="cpu", weights_only=True)["model"]


def assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_the_same_seed_on_the_same_machine_and_threads_trains_the_same_weights(prepared_root, tmp_path):
    first = train(tiny(prepared_root, tmp_path / "first"), progress=False)
    second = train(tiny(prepared_root, tmp_path / "second"), progress=False)
    assert_same_weights(weights(tmp_path / "first"), weights(tmp_path / "second"))
    assert first.history["val_top1"].tolist() == second.history["val_top1"].tolist()
    other_seed = train(tiny(prepared_root, tmp_path / "other", seed=4), progress=False)
    a, b = weights(tmp_path / "first"), weights(tmp_path / "other")
    assert any(not torch.equal(a[key], b[key]) for key in a)
    assert other_seed.config.seed == 4


def test_resume_after_an_epoch_ends_with_the_same_weights(prepared_root, tmp_path):
    train(tiny(prepared_root, tmp_path / "straight"), progress=False)
    train(tiny(prepared_root, tmp_path / "stopped"), progress=False, stop_after_epoch=1)
    assert torch.load(tmp_path / "stopped" / "last.pt", weights_only=True)["epoch"] == 1
    result = train(tiny(prepared_root, tmp_path / "stopped"), resume=True, progress=False)
    assert_same_weights(weights(tmp_path / "straight"), weights(tmp_path / "stopped"))
    straight = pd.read_csv(tmp_path / "straight" / "metrics.csv")
    resumed = pd.read_csv(tmp_path / "stopped" / "metrics.csv")
    pd.testing.assert_frame_equal(straight.drop(columns=["seconds", "clips_per_s"]),
                                  resumed.drop(columns=["seconds", "clips_per_s"]))
    assert list(result.history["epoch"]) == [1, 2, 3]


def test_ctrl_c_saves_and_resume_continues_mid_epoch(prepared_root, tmp_path, monkeypatch):
    train(tiny(prepared_root, tmp_path / "straight"), progress=False)
    config = tiny(prepared_root, tmp_path / "interrupted")
    trainer = Trainer(config, progress=False)
    real_step = trainer._optimisation_step
    calls = {"n": 0}

    def step_then_interrupt(clips, labels):
        calls["n"] += 1
        if calls["n"] == trainer.steps_per_epoch + 3:  # the third batch of epoch 2
            raise KeyboardInterrupt
        return real_step(clips, labels)

    monkeypatch.setattr(trainer, "_optimisation_step", step_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        trainer.fit()
    saved = torch.load(tmp_path / "interrupted" / "interrupted.pt", weights_only=True)
    assert saved["epoch"] == 1 and saved["step"] == 2
    train(config, resume=True, progress=False)
    assert_same_weights(weights(tmp_path / "straight"), weights(tmp_path / "interrupted"))
    assert not (tmp_path / "interrupted" / "interrupted.pt").exists()


def test_checkpoints_hold_everything_and_best_is_chosen_on_validation(prepared_root, tmp_path):
    result = train(tiny(prepared_root, tmp_path / "run"), progress=False)
    last = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    for key in ("model", "optimizer", "scheduler", "scaler", "rng", "epoch", "config", "classes", "history"):
        assert key in last
    assert last["config"]["model"] == "mict_resnet18" and last["epoch"] == 3
    history = result.history
    assert {"train_loss", "train_top1", "train_top5", "val_loss", "val_top1", "val_top5"} <= set(history.columns)
    assert result.best_val_top1 == history["val_top1"].max()
    assert result.best_epoch == int(history.loc[history["val_top1"].idxmax(), "epoch"])
    best = torch.load(tmp_path / "run" / "best.pt", weights_only=True)
    assert best["epoch"] == result.best_epoch
    assert "test" not in " ".join(history.columns)
    assert not list((tmp_path / "run").glob(".*tmp"))  # atomic writes leave nothing behind


def test_a_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(prepared_root, tmp_path, monkeypatch):
    trainer = Trainer(tiny(prepared_root, tmp_path / "run"), progress=False)
    trainer.stop_after_epoch = 1
    trainer.fit()
    good = weights(tmp_path / "run")
    trainer.stop_after_epoch = None
    monkeypatch.setattr(trainer, "criterion", lambda logits, labels: logits.sum() * float("nan"))
    with pytest.raises(TrainingDiverged, match=r"loss became nan at epoch 2, batch 1.*last\.pt"):
        trainer.fit()
    assert_same_weights(good, weights(tmp_path / "run"))


def test_an_output_folder_holding_another_run_is_refused(prepared_root, tmp_path):
    config = tiny(prepared_root, tmp_path / "run", epochs=1)
    train(config, progress=False)
    with pytest.raises(RunExistsError, match="--resume .* --overwrite"):
        train(config, progress=False)
    with pytest.raises(RunExistsError, match="lr: 0.003 → 0.01"):
        train(tiny(prepared_root, tmp_path / "run", epochs=1, lr=1e-2), resume=True, progress=False)
    train(tiny(prepared_root, tmp_path / "run", epochs=1, lr=1e-2), overwrite=True, progress=False)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(RunExistsError, match="not empty"):
        train(tiny(prepared_root, tmp_path / "other"), progress=False)


def test_train_or_load_reuses_a_finished_run(prepared_root, tmp_path, capsys):
    config = tiny(prepared_root, tmp_path / "cached", epochs=1)
    first = train_or_load(config, progress=False)
    before = (tmp_path / "cached" / "last.pt").stat().st_mtime_ns
    second = train_or_load(config, progress=False)
    assert "reusing the finished run" in capsys.readouterr().out
    assert (tmp_path / "cached" / "last.pt").stat().st_mtime_ns == before
    pd.testing.assert_frame_equal(first.history, second.history)


def test_missing_data_and_bad_options_are_explained(tmp_path, prepared_root):
    with pytest.raises(DataNotPreparedError, match="mict prepare"):
        Trainer(make_config("quick", data=str(tmp_path / "nothing"), out=str(tmp_path / "run")))
    with pytest.raises(ValueError, match=r"split must be one of \[1, 2, 3\]"):
        make_config("quick", split=4)
    with pytest.raises(ValueError, match="not divisible by accumulation"):
        make_config("quick", batch_size=10, accumulation=4)
    with pytest.raises(ValueError, match="unknown configuration field"):
        make_config("quick", learning_rate=0.1)


def test_profiles():
    quick, full = make_config("quick"), make_config("full")
    assert (quick.model, quick.width, quick.crop_size, quick.frames) == ("mict_resnet18", 16, 48, 16)
    assert (full.optimizer, full.lr, full.momentum, full.weight_decay, full.batch_size) == ("sgd", 1e-2, 0.9, 5e-4, 112)
    assert (full.epochs, full.schedule, full.lr_steps, full.crop_size, full.base_size) == (120, "step", (80,), 160, 192)
    assert full.pretrained is True and full.dropout == 0.5 and full.hflip
    r3d = make_config("full", model="resnet3d_18")
    assert (r3d.epochs, r3d.schedule, r3d.lr_steps) == (90, "multistep", (40, 80))
    assert make_config("full", model="resnet3d_18", epochs=10).epochs == 10
    assert quick.key() == make_config("quick", workers=4, out="elsewhere").key()
    assert quick.key() != make_config("quick", lr=1e-3).key()
    assert make_config("quick", version="v2").lr == 1.5e-3 and quick.lr == 3e-3
    assert make_config("quick", version="v2", lr=2e-3).lr == 2e-3
    assert make_config("full", version="v2").lr == 1e-2


def test_each_profile_prepares_its_frames_at_the_size_it_crops_from():
    from mict.course import settings

    assert frame_size_for(192) == (256, 192) and frame_size_for(54) == (72, 54)
    for profile in ("quick", "full"):
        width, height = settings(profile).prepare_size
        assert height == make_config(profile).base_size and width == round(height * 4 / 3)


def test_metrics_are_weighted_by_batch_size():
    metrics = RunningMetrics()
    logits = torch.tensor([[2.0, 1.0, 0.0]] * 4)
    metrics.update(1.0, logits, torch.tensor([0, 0, 0, 0]))  # 4 right, loss 1
    metrics.update(4.0, logits[:2], torch.tensor([1, 1]))  # the partial batch: 2 wrong, loss 4
    assert metrics.count == 6
    assert metrics.loss == pytest.approx((4 * 1 + 2 * 4) / 6)
    assert metrics.top1 == pytest.approx(100 * 4 / 6)
    assert metrics.top5 == pytest.approx(100.0)  # 3 classes: every label is in the top 5


@pytest.mark.parametrize(
    "schedule, options, check",
    [
        ("step", dict(lr_steps=(2,)), lambda lrs: lrs[19] == pytest.approx(0.1) and lrs[20] == pytest.approx(0.01)),
        ("multistep", dict(lr_steps=(1, 3)), lambda lrs: lrs[10] == pytest.approx(0.01) and lrs[30] == pytest.approx(
            0.001)),
        ("poly", {}, lambda lrs: lrs[0] == pytest.approx(0.1) and lrs[-1] < 0.01),
        ("cosine", {}, lambda lrs: lrs[0] == pytest.approx(0.1) and lrs[-1] < 1e-3),
        ("onecycle", {}, lambda lrs: lrs[0] < 0.01 and max(lrs) == pytest.approx(0.1, rel=1e-3)),
        ("cosine", dict(warmup_epochs=1), lambda lrs: lrs[0] == pytest.approx(0.001) and lrs[10] == pytest.approx(
            0.1, rel=1e-2)),
    ],
)
def test_learning_rate_schedules(schedule, options, check):
    config = make_config("quick", schedule=schedule, lr=0.1, epochs=4, **options)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = build_scheduler(config, optimizer, steps_per_epoch=10)
    lrs = []
    for _ in range(40):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert check(lrs), lrs


def test_two_processes_match_one_process_with_the_same_global_batch(prepared_root, tmp_path):
    """torchrun with 2 gloo processes × 2 clips equals one process with a batch of 4 in two
    micro-batches of 2: the same clips, the same BatchNorm batches, averaged gradients.
    (Dropout is off: each process draws its own masks.)"""
    common = ["--data", str(prepared_root), "--width", "4", "--frames", "4", "--crop-size", "32",
              "--base-size", "36", "--batch-size", "4", "--epochs", "1", "--workers", "0", "--dropout", "0",
              "--device", "cpu", "--amp", "off", "--no-test", "--no-progress", "--seed", "5"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={free_port()}",
                    "-m", "mict", "train", *common, "--out", str(tmp_path / "ddp")], check=True, env=env,
                   capture_output=True, timeout=600)
    subprocess.run([sys.executable, "-m", "mict", "train", *common, "--accumulation", "2",
                    "--out", str(tmp_path / "single")], check=True, env=env, capture_output=True, timeout=600)
    ddp, single = weights(tmp_path / "ddp"), weights(tmp_path / "single")
    parameters = [k for k in single if "running" not in k and "num_batches" not in k]
    for key in parameters:
        torch.testing.assert_close(ddp[key], single[key], rtol=1e-4, atol=1e-5, msg=key)


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it), so parallel test runs never collide."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_cpu_trains_in_float32_unless_bf16_is_asked_for():
    cpu = torch.device("cpu")
    assert autocast_dtype("auto", cpu) == (None, False)
    assert autocast_dtype("off", cpu) == (None, False)
    assert autocast_dtype("bf16", cpu) == (torch.bfloat16, False)
