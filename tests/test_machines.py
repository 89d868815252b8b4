"""The same sweeps on two machines: runs paired by seed across the two, and every notebook finding
drawn from each record set."""

import numpy as np
import pytest

from mict.cli import main
from mict.course.analysis.ablation import compared_lengths
from mict.course.analysis.machines import cpus, findings_on_both, runs_side_by_side
from mict.sweep import RunRecord, load_sweep, write_record

VIDEOS, SEEDS = 300, 5
LABELS = np.arange(VIDEOS) % 3


def record(arm, seed, correct, cpu, n_frames=None):
    """A kernel-sweep record whose top-1 class is the label exactly where `correct` says so."""
    predicted = np.where(correct, LABELS, (LABELS + 1) % 3)
    arrays = {"test/clip": np.eye(3, dtype=np.float32)[predicted], "test/labels": LABELS,
              "test/videos": np.array([f"v{i}" for i in range(VIDEOS)]),
              "test/n_frames": np.full(VIDEOS, 100) if n_frames is None else n_frames}
    return RunRecord({"sweep": "kernel", "arm": arm, "seed": seed, "machine": {"cpu": cpu}}, arrays)


def record_set(accuracies: dict[str, float], cpu: str, seed: int) -> dict[str, list[RunRecord]]:
    """Five seeds per arm; the same videos are hard on every machine, each machine's seeds are its own."""
    hard = 2.0 * np.random.default_rng(99).standard_normal(VIDEOS)
    rng = np.random.default_rng(seed)
    sets = {}
    for arm, accuracy in accuracies.items():
        logits = np.log(accuracy / (1 - accuracy)) + 0.2 * rng.standard_normal((SEEDS, 1)) + hard
        correct = rng.random((SEEDS, VIDEOS)) < 1 / (1 + np.exp(-logits))
        sets[arm] = [record(arm, s, row, cpu) for s, row in enumerate(correct)]
    return sets


KERNEL = {"mict_k7": 0.9, "mict_k3": 0.9, "mict_2d": 0.2, "frame": 0.1}


def test_the_same_runs_on_both_sides_differ_by_nothing_and_are_counted_identical():
    a = record_set(KERNEL, "AMD", seed=0)
    table = runs_side_by_side(a, a, {})
    assert list(table["arm"]) == list(KERNEL)
    assert (table["difference"] == 0).all() and (table["identical seeds"] == SEEDS).all()
    findings = findings_on_both("kernel", a, a)
    assert len(findings) == 4 and findings["same finding"].all()  # the pairs of KERNEL_PAIRS both sets hold


def test_a_machine_whose_runs_of_one_arm_land_higher_is_named_and_changes_a_finding():
    a = record_set(KERNEL, "AMD", seed=0)
    b = record_set({**KERNEL, "mict_2d": 0.9}, "Intel", seed=1)
    runs = runs_side_by_side(a, b, {"mict_2d": "MiCT without 3D"}).set_index("arm")
    assert runs.loc["mict_2d", "low"] > 20 and runs.loc["mict_2d", "identical seeds"] == 0
    assert "MiCT without 3D on B is more accurate than MiCT without 3D on A" in runs.loc["mict_2d", "verdict"]
    assert runs.loc["mict_k7", "low"] < 0 < runs.loc["mict_k7", "high"]
    findings = findings_on_both("kernel", a, b).set_index("comparison")
    changed = findings[~findings["same finding"]]
    assert list(changed.index) == ["MiCT-ResNet-18 7×7×7 − MiCT-ResNet-18 without 3D branches"]
    assert list(changed.iloc[0][["finding from A", "finding from B"]]) == ["more accurate", "cannot be told apart"]
    assert cpus(a) == "AMD" and cpus(b) == "Intel"


def test_notebook_06_compares_the_longest_length_and_the_longest_control_half_the_videos_reach():
    n_frames = np.array([40] * 40 + [70] * 30 + [120] * 30)
    records = {"v1": [RunRecord({}, {"test/n_frames": n_frames})]}
    assert compared_lengths(records, [16, 32, 64, 100]) == [(100, False), (64, True)]


@pytest.fixture
def two_folders(tmp_path):
    for folder, cpu, seed in (("amd", "AMD", 0), ("intel", "Intel", 1)):
        for arm, runs in record_set(KERNEL, cpu, seed).items():
            for run in runs:
                write_record(tmp_path / folder, "kernel", arm, run.seed, run)
    return tmp_path / "amd", tmp_path / "intel"


def test_the_sweep_command_sets_two_record_sets_side_by_side(two_folders, capsys):
    amd, intel = two_folders
    assert set(load_sweep("kernel", intel)) == set(KERNEL)
    assert main(["sweep", "kernel", "--out", str(amd), "--compare", str(intel)]) == 0
    out = capsys.readouterr().out
    assert f"kernel: A = {amd} (AMD); B = {intel} (Intel)" in out
    assert "MiCT-ResNet-18 7×7×7 on B and MiCT-ResNet-18 7×7×7 on A cannot be told apart" in out
    assert "every finding is the same from both record sets" in out


def test_comparing_with_a_folder_that_is_not_there_says_so(two_folders, tmp_path, capsys):
    amd, _ = two_folders
    assert main(["sweep", "kernel", "--out", str(amd), "--compare", str(tmp_path / "nowhere")]) == 2
    assert "--compare: no folder" in capsys.readouterr().err


def test_the_learning_rate_each_record_set_picks_on_validation():
    def runs(arm, lr, val_correct):
        run = record(arm, 0, np.ones(VIDEOS, dtype=bool), "any")
        run.arrays["val/clip"] = record(arm, 0, np.array(val_correct), "any").arrays["test/clip"]
        run.arrays["val/labels"], run.meta["config"] = LABELS, {"lr": lr}
        return [run]

    better, worse = np.arange(VIDEOS) < 250, np.arange(VIDEOS) < 200
    a = {"v1_lr0.003": runs("v1_lr0.003", 3e-3, better), "v1_lr0.0015": runs("v1_lr0.0015", 1.5e-3, worse)}
    b = {"v1_lr0.003": runs("v1_lr0.003", 3e-3, worse), "v1_lr0.0015": runs("v1_lr0.0015", 1.5e-3, better)}
    row = findings_on_both("learning-rate", a, b).iloc[0]
    assert row["comparison"] == "v1: the learning rate validation picks"
    assert (row["A"], row["finding from A"]) == ("0.003: 83.3, 0.0015: 66.7", "lr 0.003")
    assert (row["finding from B"], row["same finding"]) == ("lr 0.0015", False)


def test_notebook_06s_four_findings_are_drawn_from_each_record_set():
    n_frames = np.repeat([120, 70, 40], VIDEOS // 3)  # a third reach 100 frames, two thirds 64
    rng = np.random.default_rng(0)

    def runs(arm):
        made = []
        for seed in range(SEEDS):
            run = record(arm, seed, rng.random(VIDEOS) < 0.9, "any", n_frames)
            for n in (16, 32, 64, 100):
                run.arrays[f"test/clips{n}"] = run.arrays["test/clip"]
                run.arrays[f"test/long{n}"] = record(arm, seed, rng.random(VIDEOS) < 0.6, "any").arrays["test/clip"]
            made.append(run)
        return made

    a = {"v1": runs("v1"), "v2": runs("v2")}
    findings = findings_on_both("clip-length", a, a)
    assert len(findings) == 4 and findings["same finding"].all()
    assert set(findings["finding from A"]) == {"more accurate"}  # K clips right 90% of the time, one clip 60%
    assert findings["comparison"].str.contains("first 100 frames of 300 videos").sum() == 2
    assert findings["comparison"].str.contains("first 64 frames of 200 videos").sum() == 2
