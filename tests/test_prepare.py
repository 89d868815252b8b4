"""`mict prepare` on a tiny UCF-101 in the official layout, quirks and broken videos included."""

import shutil
from pathlib import Path

import pandas as pd
import pytest
import torch
from conftest import BROKEN, MISSING, OFFICIAL_CLASSES, UNLISTED

from mict.cli import main
from mict.data import SplitListError, prepare_dataset
from mict.data.prepare import MANIFEST_COLUMNS, prepare_video


def test_manifest_rows_labels_and_splits(prepared_root):
    manifest = pd.read_csv(prepared_root / "manifest.csv")
    assert list(manifest.columns) == MANIFEST_COLUMNS
    assert len(manifest) == 3 * 21 * 2 - len(BROKEN) - 1
    labels = dict(zip(manifest["class_name"], manifest["label"], strict=False))
    assert labels == {"Hammering": 0, "HammerThrow": 1, "HandstandPushups": 2}
    quirky = manifest[manifest["class_name"] == "HandstandPushups"].iloc[0]
    assert quirky["video"].startswith("HandstandPushups/v_HandStandPushups_g")
    assert (quirky["width"], quirky["height"], quirky["source_width"], quirky["source_height"]) == (48, 36, 64, 48)
    assert quirky["fps"] == 25
    for _, row in manifest.head(5).iterrows():
        frames = sorted((prepared_root / row["frames_dir"]).glob("*.jpg"))
        assert len(frames) == row["n_frames"] and frames[0].name == "00001.jpg"
        assert row["group"] == int(row["video"].split("_g")[1][:2])
    for k in (1, 2, 3):
        tested = manifest["group"].between(7 * k - 6, 7 * k)
        assert (manifest.loc[tested, f"split{k}"] == "test").all()
        assert (manifest.loc[~tested, f"split{k}"] == "train").all()


def test_broken_missing_and_unlisted_videos_are_reported_not_fatal(prepared_root):
    failures = pd.read_csv(prepared_root / "failures.csv")
    assert set(failures["video"]) == set(BROKEN)
    manifest = pd.read_csv(prepared_root / "manifest.csv")
    assert not set(BROKEN) & set(manifest["video"])
    assert MISSING not in set(manifest["video"]) and UNLISTED not in set(manifest["video"])
    assert not list(prepared_root.glob("frames/*/.*partial"))


def test_summary_names_every_problem(official_root, tmp_path):
    report = prepare_dataset(official_root, tmp_path, size=(48, 36), workers=1, progress=False)
    text = report.summary()
    for video in [*BROKEN, MISSING, UNLISTED]:
        assert video in text
    assert report.missing == [MISSING] and report.unlisted == [UNLISTED]
    assert report.prepared == 3 * 21 * 2 - len(BROKEN) - 1 and report.frames > 0


def test_rerun_skips_complete_videos_and_redoes_partial_ones(official_root, tmp_path):
    prepare_dataset(official_root, tmp_path, size=(48, 36), workers=2, progress=False)
    done = tmp_path / "frames" / "Hammering" / "v_Hammering_g01_c01"
    # a run killed half-way leaves a partial folder and no final one
    shutil.move(done, done.with_name(f".{done.name}.partial"))
    (done.with_name(f".{done.name}.partial") / "meta.json").unlink()
    report = prepare_dataset(official_root, tmp_path, size=(48, 36), workers=2, progress=False)
    assert report.prepared == 1 and report.skipped == 3 * 21 * 2 - len(BROKEN) - 2
    assert done.is_dir() and not done.with_name(f".{done.name}.partial").exists()
    assert "Hammering/v_Hammering_g01_c01" in set(pd.read_csv(tmp_path / "manifest.csv")["video"])


def test_a_failure_half_way_leaves_no_final_folder(official_root, tmp_path, monkeypatch):
    source = official_root / "UCF-101" / "Hammering" / "v_Hammering_g01_c01.avi"
    target = tmp_path / "frames" / "Hammering" / "v_Hammering_g01_c01"
    saved = []

    real_write = Path.write_bytes

    def write_then_fail(self, data):
        saved.append(self)
        if len(saved) == 3:
            raise OSError("disk full")
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        prepare_video(source, target, (48, 36))
    assert not target.exists() and not target.with_name(f".{target.name}.partial").exists()


def test_original_size_keeps_the_source_frames(official_root, tmp_path):
    prepare_dataset(official_root, tmp_path, size=None, workers=2, progress=False)
    row = pd.read_csv(tmp_path / "manifest.csv").iloc[0]
    assert (row["width"], row["height"]) == (64, 48)


def test_prepare_command(official_root, tmp_path, capsys):
    assert main(["prepare", "--root", str(official_root), "--out", str(tmp_path), "--size", "48x36",
                 "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "failed to decode" in out and "Hammering/v_Hammering_g03_c02" in out
    assert main(["prepare", "--root", str(tmp_path / "nowhere"), "--out", str(tmp_path)]) == 2
    assert "no UCF-101 split lists" in capsys.readouterr().err
    assert main(["prepare", "--root", str(official_root), "--out", str(tmp_path), "--size", "big"]) == 2


def test_missing_split_file_is_an_error_before_any_work(official_root, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(official_root / "ucfTrainTestlist", root / "ucfTrainTestlist")
    (root / "UCF-101").mkdir()
    (root / "ucfTrainTestlist" / "trainlist03.txt").unlink()
    with pytest.raises(SplitListError, match="missing trainlist03.txt"):
        prepare_dataset(root, tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "manifest.csv").exists()


def test_classes_file_keeps_every_class_in_label_order(prepared_root):
    assert (prepared_root / "classes.txt").read_text().split() == list(OFFICIAL_CLASSES)


def test_small_frames_are_also_stored_decoded_with_exactly_the_jpeg_pixels(prepared_root, tmp_path):
    from mict.data import load_manifest, read_frames
    from mict.data.prepare import DECODED

    manifest = load_manifest(prepared_root)
    folder = prepared_root / manifest["frames_dir"].iloc[0]
    n = int(manifest["n_frames"].iloc[0])
    assert (folder / DECODED).is_file()
    indices = [0, 3, 1, 1, n - 1]
    from_store = read_frames(folder, indices)
    jpeg_only = tmp_path / "video"
    shutil.copytree(folder, jpeg_only, ignore=shutil.ignore_patterns(DECODED))
    from_jpegs = read_frames(jpeg_only, indices)
    assert torch.equal(from_store, from_jpegs)
    assert from_store.stride() == from_jpegs.stride()  # the same channels-last layout
