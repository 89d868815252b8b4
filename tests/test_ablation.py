"""Notebooks 05 and 06's statistics: pooled seeds, per-arm intervals, paired differences, verdicts."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from mict.course.analysis.ablation import (  # noqa: E402
    architecture_costs,
    arm_table,
    caveats,
    changed_findings,
    clip_length_table,
    difference_table,
    finding,
    findings_side_by_side,
    last_step_gap,
    learning_rates_chosen_on_validation,
    padding_story_outcome,
    per_step_accuracy,
    pooled,
    same_findings,
    shipped_evidence,
    shipped_prediction_band,
    survives_losing_a_seed,
    temporal_steps,
    verdict,
    verdicts_on_this_machine,
    ways_compared,
    ways_survive_losing_a_seed,
)
from mict.course.viz.results import plot_arm_accuracy, plot_clip_length_curves, plot_differences  # noqa: E402
from mict.models import get_model  # noqa: E402
from mict.stats import simulate_paired_arms  # noqa: E402
from mict.sweep import Arm, RunRecord  # noqa: E402

LABELS = {"good": "a good arm", "bad": "a worse arm"}


def record(arm, seed, correct, labels, lengths=()):
    """A sweep record whose top-1 class is the label exactly where `correct` says so."""
    classes = 3
    wrong = (labels + 1) % classes
    predicted = np.where(correct, labels, wrong)
    probabilities = np.eye(classes, dtype=np.float32)[predicted] * 0.8 + 0.2 / classes
    arrays = {"test/clip": probabilities, "test/labels": labels, "test/videos": np.array([f"v{i}" for i in
                                                                                          range(len(labels))]),
              "test/n_frames": np.arange(len(labels)) % 60 + 40}
    for n in lengths:
        arrays[f"test/long{n}"] = arrays[f"test/clips{n}"] = probabilities
    return RunRecord({"arm": arm, "seed": seed}, arrays)


@pytest.fixture(scope="module")
def two_arms():
    rng = np.random.default_rng(0)
    good, bad, truth = simulate_paired_arms(rng, 5, 300, 0.9, 0.6)
    labels = rng.integers(0, 3, 300)
    records = {"good": [record("good", s, good[s], labels, (16, 64)) for s in range(5)],
               "bad": [record("bad", s, bad[s], labels, (16, 64)) for s in range(5)]}
    return records, truth


def test_pooling_puts_the_live_run_first_and_drops_the_shipped_seed_it_replaces(two_arms):
    records, _ = two_arms
    live = {"good": records["bad"][0]}  # any record with seed 0
    assert [r.seed for r in pooled(live, {"good": records["good"]})["good"]] == [0, 1, 2, 3, 4]
    assert pooled(live, {"good": records["good"]})["good"][0] is live["good"]


def test_claims_rest_on_the_shipped_seeds_unless_the_live_seed_was_not_shipped(two_arms):
    records, _ = two_arms
    live = {"good": records["bad"][0], "bad": records["bad"][0]}
    evidence = shipped_evidence(live, {"good": records["good"], "bad": records["bad"][1:]})
    assert evidence["good"] == records["good"]  # this machine's seed 0 does not change the claim
    assert evidence["bad"][0] is live["bad"] and [r.seed for r in evidence["bad"]] == [0, 1, 2, 3, 4]


def test_a_live_run_that_would_change_a_finding_is_reported(two_arms):
    records, _ = two_arms
    differences = difference_table(records, [("good", "bad")], LABELS)
    same = verdicts_on_this_machine(differences, records, LABELS).iloc[0]
    assert same["same finding"] and same["shipped finding"] == same["finding here"] == "more accurate"
    labels = records["good"][0].arrays["test/labels"]
    all_wrong = record("good", 0, np.zeros(len(labels), dtype=bool), labels)
    changed = verdicts_on_this_machine(differences, pooled({"good": all_wrong, "bad": records["bad"][0]}, records),
                                       LABELS).iloc[0]
    assert changed["shipped finding"] == "more accurate" and changed["finding here"] != "more accurate"
    assert not changed["same finding"] and changed["low here"] < 0


def gains(points_per_seed, videos=300, base=240):
    """Arms 'good' and 'bad' on the same videos; 'good' gets `points_per_seed[s]` more videos right at seed s."""
    labels = np.zeros(videos, dtype=int)
    bad = np.arange(videos) < base
    records = {"good": [], "bad": []}
    for seed, extra in enumerate(points_per_seed):
        records["good"].append(record("good", seed, np.arange(videos) < base + extra, labels))
        records["bad"].append(record("bad", seed, bad, labels))
    return records


def test_a_finding_that_one_seed_carries_does_not_survive_losing_it():
    steady, carried = gains([12, 12, 12, 12, 12]), gains([22, 12, 12, 12, 0])
    for records in (steady, carried):  # both: "more accurate" with all five seeds
        assert difference_table(records, [("good", "bad")], LABELS)["low"].iloc[0] > 0
    assert survives_losing_a_seed(steady, [("good", "bad")], LABELS) == [True]
    assert survives_losing_a_seed(carried, [("good", "bad")], LABELS) == [False]
    one_seed = {arm: runs[:1] for arm, runs in steady.items()}
    assert survives_losing_a_seed(one_seed, [("good", "bad")], LABELS) == [False]


def test_a_finding_near_zero_names_the_chance_that_another_machines_seed_0_changes_it():
    far, near = gains([60, 62, 58, 61, 59]), gains([10, 3, 8, 5, 2])
    far_row, near_row = (difference_table(r, [("good", "bad")], LABELS).iloc[0] for r in (far, near))
    assert far_row["low"] > 0 and near_row["low"] > 0  # both "more accurate" with the five seeds
    assert far_row["rerun_changes_it"] < 0.005 and caveats(far_row) == ""
    assert 0.01 < near_row["rerun_changes_it"] < 0.5
    chance = near_row["rerun_changes_it"]
    assert caveats(near_row) == f"; another machine's seed 0 would change it with chance {chance:.0%}"
    without_seed_0 = {arm: runs[1:] for arm, runs in near.items()}
    assert np.isnan(difference_table(without_seed_0, [("good", "bad")], LABELS)["rerun_changes_it"].iloc[0])
    assert caveats({**near_row, "survives_losing_a_seed": False}).startswith("; fragile: one seed carries it; ")


def test_a_changed_finding_is_named_with_both_intervals(two_arms):
    records, _ = two_arms
    differences = difference_table(records, [("good", "bad")], LABELS)
    assert changed_findings(verdicts_on_this_machine(differences, records, LABELS)) == (
        "with this machine's seed-0 runs, every finding is the same")
    labels = records["good"][0].arrays["test/labels"]
    all_wrong = record("good", 0, np.zeros(len(labels), dtype=bool), labels)
    changed = verdicts_on_this_machine(differences, pooled({"good": all_wrong, "bad": records["bad"][0]}, records),
                                       LABELS)
    line = changed_findings(changed)
    assert line.startswith("with this machine's seed-0 runs, these findings change: a good arm − a worse arm: "
                           "more accurate [")
    assert changed["with this machine's runs"].iloc[0] in line and "with the shipped seeds" in line


def clip_ways(points_per_seed, videos=300, base=200):
    """One arm 'v1' whose K clips get `points_per_seed[s]` more videos right than its long clip at seed s."""
    labels = np.zeros(videos, dtype=int)
    runs = []
    for seed, extra in enumerate(points_per_seed):
        run = record("v1", seed, np.arange(videos) < base + extra, labels)
        run.arrays["test/clips100"] = run.arrays["test/clip"]
        run.arrays["test/long100"] = record("v1", seed, np.arange(videos) < base, labels).arrays["test/clip"]
        runs.append(run)
    return {"v1": runs}


def test_a_k_clips_finding_that_one_seed_carries_is_fragile():
    steady, carried = clip_ways([12, 12, 12, 12, 12]), clip_ways([22, 12, 12, 12, 0])
    for records in (steady, carried):
        assert ways_compared(records, {"v1": "MiCT v1"}, 100)["low"].iloc[0] > 0
    assert ways_survive_losing_a_seed(steady, {"v1": "MiCT v1"}, 100) == [True]
    assert ways_survive_losing_a_seed(carried, {"v1": "MiCT v1"}, 100) == [False]
    assert ways_survive_losing_a_seed({"v1": steady["v1"][:1]}, {"v1": "MiCT v1"}, 100) == [False]


def test_k_clips_findings_on_this_machine_sit_beside_the_shipped_ones():
    shipped = clip_ways([12, 12, 12, 12, 12])
    here = {"v1": clip_ways([-40])["v1"] + shipped["v1"][1:]}  # this machine's seed 0: the long clip wins
    table = findings_side_by_side(ways_compared(shipped, {"v1": "MiCT v1"}, 100),
                                  ways_compared(here, {"v1": "MiCT v1"}, 100))
    row = table.iloc[0]
    assert row["comparison"] == "MiCT v1: K clips − one long clip, first 100 frames of 300 videos"
    assert row["shipped finding"] == "more accurate" and row["finding here"] != "more accurate"
    assert not row["same finding"] and row["low here"] < 0
    assert "these findings change: MiCT v1: K clips − one long clip" in changed_findings(table)
    # five identical seeds predict no change: a run that changes the finding anyway is named as such
    assert row["rerun_changes_it"] == 0 and changed_findings(table).endswith("gave this change a chance of 0%)")


def test_k_clips_and_one_long_clip_are_compared_paired_on_the_same_videos():
    rng = np.random.default_rng(1)
    labels, videos = rng.integers(0, 3, 200), 200
    records = {"v1": []}
    for seed in range(5):
        clips_right = rng.random(videos) < 0.95
        long_right = clips_right & (rng.random(videos) < 0.7)  # the long clip loses some of the same videos
        run = record("v1", seed, clips_right, labels)
        run.arrays["test/clips100"] = run.arrays["test/clip"]
        run.arrays["test/long100"] = record("v1", seed, long_right, labels).arrays["test/clip"]
        run.arrays["test/n_frames"] = np.where(np.arange(videos) < 80, 120, 50)
        records["v1"].append(run)
    row = ways_compared(records, {"v1": "MiCT v1"}, 100).iloc[0]
    assert row["verdict"].startswith("MiCT v1, K clips is more accurate than MiCT v1, one long clip, by")
    assert 20 < row["difference"] < 35 and row["videos"] == videos and row["seeds"] == 5
    control = ways_compared(records, {"v1": "MiCT v1"}, 100, at_least=True).iloc[0]
    assert control["videos"] == 80 and control["low"] < control["difference"] < control["high"]


def test_same_findings_compares_two_tables_of_the_same_comparisons_row_by_row():
    table = pd.DataFrame({"a": ["x", "x"], "b": ["y", "z"], "low": [1.0, -2.0], "high": [3.0, 2.0], "seeds": 5})
    here = table.assign(low=[-1.0, -3.0])  # the first interval now reaches below zero, the second still spans it
    assert same_findings(table, here) == [False, True]
    assert same_findings(table, table) == [True, True]
    with pytest.raises(ValueError, match="same comparisons"):
        same_findings(table, here.iloc[::-1])


def test_findings_are_the_kinds_of_verdict():
    row = {"a": "good", "b": "bad", "low": 1.0, "high": 3.0, "seeds": 5}
    assert [finding(r) for r in (row, {**row, "low": -3.0, "high": -1.0}, {**row, "low": -1.0},
                                  {**row, "seeds": 1})] == ["more accurate", "less accurate",
                                                            "cannot be told apart", "no verdict"]


def test_arm_table_and_its_figure(two_arms):
    records, _ = two_arms
    table = arm_table(records, LABELS)
    assert list(table["label"]) == ["a good arm", "a worse arm"] and list(table["seeds"]) == [5, 5]
    assert (table["low"] < table["mean"]).all() and (table["mean"] < table["high"]).all()
    assert table["mean"].iloc[0] > table["mean"].iloc[1]
    assert len(plot_arm_accuracy(table, "t").axes[0].collections) == 2  # the seeds' dots


def test_a_clear_difference_gets_a_verdict_that_says_so_and_its_reverse_too(two_arms):
    records, truth = two_arms
    table = difference_table(records, [("good", "bad"), ("bad", "good")], LABELS)
    forward, backward = table.iloc[0], table.iloc[1]
    assert forward["low"] > 0 and forward["low"] < truth < forward["high"]
    assert forward["verdict"].startswith("a good arm is more accurate than a worse arm, by")
    assert backward["verdict"].startswith("a worse arm is less accurate than a good arm, by")
    assert forward["p_value"] < 1e-3 and len(forward["mcnemar_p"]) == 5
    assert len(plot_differences(table, "t").axes[0].lines) >= 2


def test_an_interval_across_zero_is_reported_as_cannot_tell_apart():
    row = {"a": "good", "b": "bad", "low": -1.2, "high": 2.5}
    assert verdict(row, LABELS) == ("a good arm and a worse arm cannot be told apart: the difference could be "
                                    "anything from -1.2 to 2.5 points")


def test_clip_length_table_with_and_without_the_long_video_control(two_arms):
    records, _ = two_arms
    every = clip_length_table(records, LABELS, [16, 64])
    assert set(zip(every["way"], every["frames"], strict=True)) == {("long", 16), ("clips", 16), ("long", 64),
                                                                      ("clips", 64)}
    assert (every["videos"] == 300).all()
    long_only = clip_length_table(records, LABELS, [16, 64], at_least=True)
    assert (long_only.loc[long_only["frames"] == 64, "videos"] < 300).all()
    assert len(plot_clip_length_curves(every, "t").axes) == 1


def test_the_prediction_band_covers_new_runs_at_its_rate():
    rng = np.random.default_rng(1)
    inside = 0
    for _ in range(400):
        shipped, new = rng.normal(90, 3, size=5), rng.normal(90, 3)
        low, high = shipped_prediction_band(list(shipped), coverage=0.9)
        inside += low <= new <= high
    assert 0.85 <= inside / 400 <= 0.95
    assert all(np.isnan(shipped_prediction_band([91.0])))  # one shipped seed: no spread, no band


def test_costs_and_per_step_accuracy(prepared_root):
    assert [temporal_steps(n, 16) for n in (1, 16, 17, 100)] == [1, 1, 2, 7]
    costs = architecture_costs([Arm("tiny", "a tiny MiCT", {"width": 4, "temporal_kernel": 3})], frames=4, size=32,
                               runs=1, warmup=0)
    assert list(costs.columns) == ["arm", "label", "params_millions", "gflops", "cpu_fps", "cpu_memory_mb"]
    torch.manual_seed(0)
    model = get_model("mict_resnet18", width=4, num_classes=3, version="v2")
    steps = per_step_accuracy(model, prepared_root, 16, crop_size=32, base_size=36)
    assert list(steps["step"]) == [0, 1, 2, 3] and list(steps["last"]) == [False, False, False, True]
    assert steps.attrs["videos"] > 0 and ((0 <= steps["top1"]) & (steps["top1"] <= 100)).all()


def test_one_seed_gets_no_verdict_however_narrow_its_interval():
    row = {"a": "good", "b": "bad", "low": 5.0, "high": 9.0, "seeds": 1}
    assert verdict(row, LABELS).endswith("no verdict")
    assert verdict({**row, "seeds": 2}, LABELS).startswith("a good arm is more accurate than a worse arm")


def steps_table(top1):
    table = pd.DataFrame({"step": range(len(top1)), "top1": top1})
    table["last"] = table["step"] == len(top1) - 1
    return table


def test_the_padding_story_is_judged_by_both_of_its_predictions():
    v1, v2_small, v2_opposite = steps_table([70.0, 70.0, 90.0]), steps_table([80.0, 85.0]), steps_table([80.0, 30.0])
    assert last_step_gap(v1) == 20.0 and last_step_gap(v2_opposite) == -50.0
    agrees = padding_story_outcome({"v1": v1, "v2": v2_small}, {"v1": "MiCT v1"})
    assert agrees.startswith("MiCT v1: last step +20.0 points")
    assert "prediction 1 (v1's last step is read right more often) holds" in agrees
    assert "prediction 2 (v2 shows a smaller gap) holds" in agrees and "opposite sign" not in agrees
    refuted = padding_story_outcome({"v1": v1, "v2": v2_opposite})
    assert "v2: last step −50.0 points" in refuted
    assert refuted.endswith("prediction 2 (v2 shows a smaller gap) fails, and v2's gap has the opposite sign")
    assert "prediction 1 (v1's last step is read right more often) fails" in padding_story_outcome(
        {"v1": steps_table([90.0, 60.0])})


def test_learning_rates_are_chosen_per_version_on_validation_and_ties_are_reported():
    labels = np.zeros(4, dtype=np.int64)

    def lr_record(arm, lr, val_correct):
        run = record(arm, 0, np.ones(4, dtype=bool), labels)
        run.arrays["val/clip"], run.arrays["val/labels"] = record(arm, 0, np.array(val_correct), labels).arrays[
            "test/clip"], labels
        run.meta["config"] = {"lr": lr}
        return [run]

    records = {"v1_lr0.003": lr_record("v1_lr0.003", 3e-3, [1, 1, 0, 0]),
               "v1_lr0.0015": lr_record("v1_lr0.0015", 1.5e-3, [1, 1, 1, 0]),
               "v2_lr0.003": lr_record("v2_lr0.003", 3e-3, [1, 0, 0, 0]),
               "v2_lr0.0015": lr_record("v2_lr0.0015", 1.5e-3, [0, 0, 0, 1])}
    chosen = learning_rates_chosen_on_validation(records)
    assert chosen == {"v1": (1.5e-3, ["v1_lr0.0015"]), "v2": (3e-3, ["v2_lr0.003", "v2_lr0.0015"])}


def test_a_table_compared_only_for_its_findings_skips_the_rerun_chance():
    records = gains([10, 3, 8, 5, 2])
    full = difference_table(records, [("good", "bad")], LABELS)
    quick = difference_table(records, [("good", "bad")], LABELS, rerun_chance=False)
    assert np.isnan(quick["rerun_changes_it"].iloc[0]) and not np.isnan(full["rerun_changes_it"].iloc[0])
    assert quick.drop(columns="rerun_changes_it").equals(full.drop(columns="rerun_changes_it"))
