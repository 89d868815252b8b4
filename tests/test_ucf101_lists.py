"""Reading UCF-101's official split lists: labels, quirks and errors that name the line."""

import zipfile
from pathlib import Path

import pytest

from mict.data import SplitListError, SplitLists, VideoName, groups_tested_in
from mict.paths import official_splits_dir

SHARED = official_splits_dir()  # shipped with the repository


def test_official_lists_have_the_documented_sizes():
    lists = SplitLists.from_folder(SHARED)
    classes = lists.classes()
    assert len(classes) == 101
    sizes = {}
    for k in (1, 2, 3):
        membership = lists.split(k)
        assert len(membership) == 13_320
        sizes[k] = (sum(v == "train" for v in membership.values()), sum(v == "test" for v in membership.values()))
        for video, subset in membership.items():
            assert (VideoName.parse(video).group in groups_tested_in(k)) == (subset == "test")
    assert sizes == {1: (9537, 3783), 2: (9586, 3734), 3: (9624, 3696)}


def test_the_shipped_lists_are_ucfs_files_byte_for_byte():
    raw = {path.name: path.read_bytes() for path in SHARED.glob("*.txt")}
    assert sorted(raw) == ["classInd.txt", *(f"{kind}list0{k}.txt" for kind in ("test", "train") for k in (1, 2, 3))]
    assert raw["classInd.txt"].startswith(b"1 ApplyEyeMakeup\r\n") and raw["classInd.txt"].count(b"\r\n") == 101
    assert all(b"\n" not in text.replace(b"\r\n", b"") for text in raw.values())  # CRLF, never a bare LF


def test_labels_come_from_classind_not_from_sorting():
    classes = SplitLists.from_folder(SHARED).classes()
    assert classes.index("Hammering") == 34 and classes.index("HammerThrow") == 35
    assert classes.index("JumpingJack") == 46 and classes.index("JumpRope") == 47
    assert sorted(classes) != classes  # the trap: sorted() swaps those pairs
    assert sorted(classes, key=str.lower) == classes


def test_the_class_is_the_folder_not_the_file_name():
    membership = SplitLists.from_folder(SHARED).split(1)
    quirky = [v for v in membership if v.startswith("HandstandPushups/")]
    assert quirky and all("/v_HandStandPushups_" in v for v in quirky)
    assert VideoName.parse(quirky[0] + ".avi").class_name == "HandstandPushups"


def test_video_names_parse():
    name = VideoName.parse("HandstandPushups/v_HandStandPushups_g08_c03.avi")
    assert (name.video, name.class_name, name.group, name.clip) == (
        "HandstandPushups/v_HandStandPushups_g08_c03", "HandstandPushups", 8, 3)
    with pytest.raises(ValueError, match="v_<Class>_gGG_cCC"):
        VideoName.parse("Archery/archery_01.avi")


def _write_lists(folder: Path, class_ind: str, train: str, test: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "classInd.txt").write_bytes(class_ind.encode())
    for k in (1, 2, 3):
        (folder / f"trainlist0{k}.txt").write_bytes(train.encode())
        (folder / f"testlist0{k}.txt").write_bytes(test.encode())
    return folder


GOOD_INDEX = "1 Hammering\r\n2 HammerThrow\r\n"
GOOD_TRAIN = "HammerThrow/v_HammerThrow_g08_c01.avi 2\r\nHammering/v_Hammering_g09_c01.avi 1\r\n"
GOOD_TEST = "Hammering/v_Hammering_g01_c01.avi\r\n"


def test_lists_read_from_the_distributed_zip(tmp_path):
    folder = _write_lists(tmp_path / "ucfTrainTestlist", GOOD_INDEX, GOOD_TRAIN, GOOD_TEST)
    with zipfile.ZipFile(tmp_path / "UCF101TrainTestSplits-RecognitionTask.zip", "w") as archive:
        for path in folder.iterdir():
            archive.write(path, f"ucfTrainTestlist/{path.name}")
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    lists = SplitLists.find(tmp_path)
    assert lists.classes() == ["Hammering", "HammerThrow"]
    assert lists.split(2) == {"HammerThrow/v_HammerThrow_g08_c01": "train",
                              "Hammering/v_Hammering_g09_c01": "train",
                              "Hammering/v_Hammering_g01_c01": "test"}


@pytest.mark.parametrize(
    "class_ind, train, test, message",
    [
        (GOOD_INDEX, "HammerThrow/v_HammerThrow_g08_c01.avi\r\n", GOOD_TEST,
         r"trainlist01\.txt, line 1: expected 'Class/v_Class_gGG_cCC\.avi <label>'"),
        (GOOD_INDEX, GOOD_TRAIN + "HammerThrow/v_HammerThrow_g09_c01.avi 1\r\n", GOOD_TEST,
         r"trainlist01\.txt, line 3: label '1' disagrees with classInd\.txt"),
        (GOOD_INDEX, GOOD_TRAIN, "Archery/v_Archery_g01_c01.avi\r\n",
         r"testlist01\.txt, line 1: class 'Archery' is not in classInd\.txt"),
        (GOOD_INDEX, GOOD_TRAIN, "\r\nHammering/v_Hammering_01.avi\r\n",
         r"testlist01\.txt, line 2: .*v_<Class>_gGG_cCC"),
        ("1 Hammering\r\nHammerThrow\r\n", GOOD_TRAIN, GOOD_TEST,
         r"classInd\.txt, line 2: expected '<index> <ClassName>'"),
        ("1 Hammering\r\n3 HammerThrow\r\n", GOOD_TRAIN, GOOD_TEST, "without gaps"),
        (GOOD_INDEX, GOOD_TRAIN, "Hammering/v_Hammering_g09_c01.avi\r\n", "in both the train and the test list"),
    ],
)
def test_malformed_lists_name_the_file_and_the_line(tmp_path, class_ind, train, test, message):
    _write_lists(tmp_path / "ucfTrainTestlist", class_ind, train, test)
    with pytest.raises(SplitListError, match=message):
        SplitLists.find(tmp_path).split(1)


def test_missing_lists_are_explained(tmp_path):
    with pytest.raises(SplitListError, match="no UCF-101 split lists"):
        SplitLists.find(tmp_path)
    folder = _write_lists(tmp_path / "ucfTrainTestlist", GOOD_INDEX, GOOD_TRAIN, GOOD_TEST)
    (folder / "testlist02.txt").unlink()
    with pytest.raises(SplitListError, match="missing testlist02.txt"):
        SplitLists.find(tmp_path).split(2)
    with pytest.raises(ValueError, match="split must be 1, 2 or 3"):
        SplitLists.find(tmp_path).split(4)
