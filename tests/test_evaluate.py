"""Evaluation: clip, long-clip and K-clip accuracy, tables, and `mict test` on both checkpoint kinds."""

import pandas as pd
import torch
from test_train import tiny
from test_weights import original_mict_state_dict, save_original_checkpoint

from mict.cli import main
from mict.evaluate import evaluate, evaluate_all
from mict.models import get_model
from mict.train import train


def _model(classes=3):
    torch.manual_seed(0)
    return get_model("mict_resnet18", width=4, num_classes=classes).eval()


def test_clip_evaluation_tables(prepared_root):
    evaluation = evaluate(_model(), prepared_root, split=1, frames=8, crop_size=32, base_size=36, progress=False)
    predictions, per_class, confusion = evaluation.predictions, evaluation.per_class, evaluation.confusion
    n = len(predictions)
    assert n == evaluation.summary["videos"] and n > 0
    assert set(predictions.columns) >= {"video", "label", "class_name", "top1_class", "top1_probability",
                                        "correct1", "correct5"}
    probabilities = predictions[[c for c in predictions if c.endswith("_probability")]]
    assert (probabilities.diff(axis=1).iloc[:, 1:] <= 1e-6).all().all()  # sorted, highest first
    assert int(confusion.to_numpy().sum()) == n
    assert confusion.shape == (3, 3) and list(confusion.index) == ["Hammering", "HammerThrow", "HandstandPushups"]
    correct = sum(confusion.loc[c, c] for c in confusion.index)
    assert evaluation.summary["top1"] == 100 * correct / n
    assert evaluation.summary["top5"] == 100.0  # three classes
    weighted = (per_class["top1"] * per_class["videos"]).sum() / per_class["videos"].sum()
    assert abs(weighted - evaluation.summary["top1"]) < 1e-9


def test_long_and_multi_clip_evaluations(prepared_root, tmp_path):
    table, evaluations = evaluate_all(_model(), prepared_root, frames=8, long_frames=(8, 16, 24), clips=3,
                                      crop_size=32, base_size=36, progress=False)
    assert list(table["evaluation"]) == ["clip 8", "long 16", "long 24", "3 clips of 8"]
    assert (table["videos"] == table["videos"].iloc[0]).all()
    written = evaluations[-1].save(tmp_path)
    assert sorted(p.name for p in written) == ["3_clips_of_8_confusion.csv", "3_clips_of_8_per_class.csv",
                                                "3_clips_of_8_predictions.csv"]
    assert len(pd.read_csv(tmp_path / "3_clips_of_8_predictions.csv")) == table["videos"].iloc[0]


def test_test_command_on_this_projects_checkpoint(prepared_root, tmp_path, capsys):
    result = train(tiny(prepared_root, tmp_path / "run", epochs=1), progress=False)
    assert main(["test", "--checkpoint", str(result.best_checkpoint), "--long", "4,8", "--clips", "2",
                 "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "clip 4" in out and "long 8" in out and "2 clips of 4" in out
    summary = pd.read_csv(tmp_path / "run" / "eval-split1-test" / "summary.csv")
    assert list(summary["evaluation"]) == ["clip 4", "long 8", "2 clips of 4"]


def test_test_command_on_an_original_checkpoint(prepared_root, tmp_path, capsys):
    save_original_checkpoint(tmp_path / "MiCTResNet_V2.pth.tar", original_mict_state_dict(width=8, kernel=7, classes=3))
    code = main(["test", "--checkpoint", str(tmp_path / "MiCTResNet_V2.pth.tar"), "--data", str(prepared_root),
                 "--model", "mict_resnet18", "--version", "v2", "--width", "8", "--crop-size", "32",
                 "--base-size", "36", "--device", "cpu", "--out", str(tmp_path / "eval")])
    assert code == 0
    assert "clip 16" in capsys.readouterr().out
    assert (tmp_path / "eval" / "clip_16_confusion.csv").exists()


def test_test_command_errors(tmp_path, capsys):
    assert main(["test", "--checkpoint", str(tmp_path / "missing.pt")]) == 2
    assert "checkpoint not found" in capsys.readouterr().err
