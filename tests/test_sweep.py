"""Sweeps: every (arm, seed) trained once, kept as per-video predictions, resumable, checked for staleness."""

import inspect
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import mict.config
import mict.sweep
from mict.cli import main
from mict.code_version import EVALUATION_SOURCES, PACKAGE_DIR, TRAINING_SOURCES, code_version
from mict.errors import ConfigError
from mict.evaluate import evaluate, recorded_predictions
from mict.sweep import correct_table, load_sweep, restamp_records, run_sweep, stale_records

TINY = dict(width=4, frames=4, crop_size=32, base_size=36, batch_size=4, epochs=1)


@pytest.fixture(scope="module")
def swept(prepared_root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweeps")
    records = run_sweep("kernel", arms=["mict_k3", "frame"], seeds=[0, 1], folder=folder, progress=False,
                        data=str(prepared_root), **TINY)
    return folder, records


def test_a_sweep_keeps_one_record_per_arm_and_seed(swept, prepared_root):
    folder, records = swept
    assert [(r.meta["arm"], r.seed) for r in records] == [("mict_k3", 0), ("mict_k3", 1), ("frame", 0), ("frame", 1)]
    meta = json.loads((folder / "kernel" / "mict_k3" / "seed1.json").read_text())
    assert meta["config"]["temporal_kernel"] == 3 and meta["config"]["seed"] == 1
    assert {"key", "training_code", "evaluation_code", "machine", "history", "train_seconds"} <= set(meta)
    assert records[0].meta["key"] != records[1].meta["key"]  # another seed is another run
    test = records[0].arrays
    assert test["test/clip"].shape == (len(test["test/labels"]), 3)
    np.testing.assert_allclose(test["test/clip"].sum(axis=1), 1, atol=1e-5)
    assert len(test["val/labels"]) > 0 and len(test["test/videos"]) == len(test["test/labels"])


def test_a_records_predictions_are_its_models_test_predictions(swept, prepared_root):
    from mict.checkpoints import TrainResult
    from mict.sweep import get_sweep

    _, records = swept
    record = records[2]
    config = get_sweep("kernel").config(get_sweep("kernel").arm("frame"), 0, data=str(prepared_root), **TINY)
    run = TrainResult.from_run_dir(config.run_dir())
    direct = evaluate(run.load_model(), prepared_root, frames=4, crop_size=32, base_size=36, progress=False)
    assert record.top1() == pytest.approx(direct.summary["top1"])
    assert list(record.arrays["test/videos"]) == list(direct.predictions["video"])


def test_a_sweep_is_resumable_and_trains_nothing_twice(swept, prepared_root, monkeypatch):
    folder, records = swept
    monkeypatch.setattr(mict.sweep, "train_or_load", lambda *a, **k: pytest.fail("a current record was retrained"))
    again = run_sweep("kernel", arms=["mict_k3", "frame"], seeds=[0, 1], folder=folder, progress=False,
                      data=str(prepared_root), **TINY)
    assert [r.meta["key"] for r in again] == [r.meta["key"] for r in records]
    assert set(load_sweep("kernel", folder)) == {"mict_k3", "frame"}
    assert correct_table(load_sweep("kernel", folder)["frame"]).shape == (2, len(records[0].arrays["test/labels"]))


def test_records_of_older_code_are_stale(swept, prepared_root, monkeypatch):
    folder, _ = swept
    assert stale_records("kernel", folder, data=str(prepared_root), **TINY) == []
    monkeypatch.setattr(mict.sweep, "evaluation_version", lambda: "changed")
    stale = stale_records("kernel", folder, data=str(prepared_root), **TINY)
    assert stale[0] == "mict_k3 seed 0: evaluation_code changed" and len(stale) == 4


def test_the_sweep_command_checks_staleness(swept, capsys):
    folder, _ = swept
    assert main(["sweep", "kernel", "--out", str(folder), "--check"]) == 1  # keyed without the tiny overrides
    assert "mict_k3 seed 0: key" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["sweep", "nothing"])


def test_the_sweep_command_lists_missing_records(swept, capsys):
    folder, _ = swept
    missing = mict.sweep.missing_records("kernel", folder)
    assert "mict_k5 seed 0: missing" in missing and "frame seed 2: missing" in missing
    assert not any(line.startswith(("mict_k3 seed 0:", "frame seed 1:")) for line in missing)
    assert main(["sweep", "kernel", "--out", str(folder), "--check"]) == 1
    out = capsys.readouterr().out
    assert "kernel: mict_k5 seed 0: missing" in out and "`mict sweep kernel` trains them" in out


def test_adding_seeds_to_an_arm_leaves_its_records_current(swept, prepared_root, monkeypatch):
    folder, _ = swept
    kernel = mict.sweep.get_sweep("kernel")
    more = tuple(replace(arm, seeds=(0, 1, 2) if arm.name == "frame" else None) for arm in kernel.arms)
    monkeypatch.setitem(mict.sweep.SWEEPS, "kernel", replace(kernel, arms=more, seeds=(0, 1)))
    sweep = mict.sweep.get_sweep("kernel")
    assert sweep.seeds_of(sweep.arm("frame")) == (0, 1, 2) and sweep.seeds_of(sweep.arm("mict_k3")) == (0, 1)
    assert stale_records("kernel", folder, data=str(prepared_root), **TINY) == []
    trained = []
    monkeypatch.setattr(mict.sweep, "_train_and_record", lambda sweep, arm, seed, *a: trained.append((arm.name, seed)))
    run_sweep("kernel", arms=["mict_k3", "frame"], folder=folder, progress=False, data=str(prepared_root), **TINY)
    assert trained == [("frame", 2)]  # only the new seed is trained


def test_evaluating_more_clip_lengths_makes_records_stale(swept, prepared_root, monkeypatch):
    folder, _ = swept
    monkeypatch.setitem(mict.sweep.SWEEPS, "kernel", replace(mict.sweep.get_sweep("kernel"), lengths=(4, 8)))
    stale = stale_records("kernel", folder, data=str(prepared_root), **TINY)
    assert stale[0] == "mict_k3 seed 0: lengths changed" and len(stale) == 4


def test_the_evaluation_version_covers_the_code_that_computes_a_record():
    source = Path(inspect.getsourcefile(recorded_predictions)).relative_to(PACKAGE_DIR).as_posix()
    assert source in EVALUATION_SOURCES
    assert mict.sweep.evaluation_version() == code_version(EVALUATION_SOURCES)


@pytest.fixture
def training_code_changed(monkeypatch):
    """Today's training code as if it had changed since the records were made (its runs are trained anew)."""
    real = mict.sweep.code_version

    def changed(sources=TRAINING_SOURCES):
        return "changed" if sources == TRAINING_SOURCES else real(sources)

    monkeypatch.setattr(mict.sweep, "code_version", changed)
    monkeypatch.setattr(mict.config, "code_version", changed)


def copy_of_records(swept, tmp_path) -> Path:
    shutil.copytree(swept[0], tmp_path / "sweeps")
    return tmp_path / "sweeps"


def test_records_that_retrain_bit_for_bit_are_restamped(swept, prepared_root, tmp_path, training_code_changed):
    folder = copy_of_records(swept, tmp_path)
    before = load_sweep("kernel", folder)
    assert len(stale_records("kernel", folder, data=str(prepared_root), **TINY)) == 4
    restamped = restamp_records("kernel", folder, progress=False, data=str(prepared_root), **TINY)
    assert restamped == ["mict_k3 seed 0", "mict_k3 seed 1", "frame seed 0", "frame seed 1"]
    assert stale_records("kernel", folder, data=str(prepared_root), **TINY) == []
    for arm, records in load_sweep("kernel", folder).items():
        for old, new in zip(before[arm], records, strict=True):
            assert all(np.array_equal(old.arrays[name], new.arrays[name]) for name in old.arrays)
            stamp = new.meta["restamped"][-1]
            assert (stamp["from"], stamp["to"], stamp["key_from"]) == (old.meta["training_code"], "changed",
                                                                        old.meta["key"])
            assert "mict_k3 seed 0, frame seed 0 gave" in stamp["evidence"] and "bit for bit" in stamp["evidence"]
            assert new.meta["history"] == old.meta["history"] and new.meta["machine"] == old.meta["machine"]
    assert restamp_records("kernel", folder, progress=False, data=str(prepared_root), **TINY) == []


def test_a_run_that_retrains_differently_restamps_nothing(swept, prepared_root, tmp_path, training_code_changed):
    folder = copy_of_records(swept, tmp_path)
    record = mict.sweep.read_record(folder, "kernel", "frame", 0)
    record.arrays["test/clip"] = record.arrays["test/clip"][::-1].copy()
    mict.sweep.write_record(folder, "kernel", "frame", 0, record)
    with pytest.raises(ConfigError, match=r"kernel frame seed 0 in .*trains it differently \(its test/clip differ\)"):
        restamp_records("kernel", folder, progress=False, data=str(prepared_root), **TINY)
    assert len(stale_records("kernel", folder, data=str(prepared_root), **TINY)) == 4
    assert not any("restamped" in r.meta for records in load_sweep("kernel", folder).values() for r in records)


def test_records_of_another_cpu_are_no_evidence(swept, prepared_root, tmp_path, training_code_changed, capsys):
    folder = copy_of_records(swept, tmp_path)
    record = mict.sweep.read_record(folder, "kernel", "mict_k3", 0)
    mict.sweep.write_record_meta(folder, "kernel", "mict_k3", 0,
                                 {**record.meta, "machine": {**record.meta["machine"], "cpu": "another CPU"}})
    with pytest.raises(ConfigError, match="was made on another CPU with .* verify against records made on this CPU"):
        restamp_records("kernel", folder, progress=False, data=str(prepared_root), **TINY)
    # the command keys runs without the tiny overrides, so none of these records is its to restamp
    assert main(["sweep", "kernel", "--out", str(folder), "--restamp", "--no-progress"]) == 1
    assert "kernel: no record is stale by its training code alone" in capsys.readouterr().out
