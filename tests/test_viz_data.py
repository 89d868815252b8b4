"""Notebook 01's library code: the split-leak measures, its figures and its exercise checks."""

import zipfile

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import OFFICIAL_CLASSES

from mict.course.analysis import split_leak as sp
from mict.course.exercises import ExerciseFailed
from mict.course.exercises import data as ex
from mict.course.viz import data as viz
from mict.course.viz import save_figure
from mict.data import SplitLists, load_manifest

CLASS_INDEX = "1 Hammering\r\n2 HammerThrow\r\n3 HandstandPushups\r\n"
TRAIN = ("HammerThrow/v_HammerThrow_g08_c01.avi 2\r\nHammering/v_Hammering_g08_c01.avi 1\r\n"
         "HandstandPushups/v_HandStandPushups_g09_c02.avi 3\r\n")
TEST = "Hammering/v_Hammering_g01_c01.avi\r\nHandstandPushups/v_HandStandPushups_g02_c01.avi\r\n"


@pytest.fixture
def small_lists(tmp_path) -> SplitLists:
    folder = tmp_path / "ucfTrainTestlist"
    folder.mkdir()
    (folder / "classInd.txt").write_bytes(CLASS_INDEX.encode())
    for k in (1, 2, 3):
        (folder / f"trainlist0{k}.txt").write_bytes(TRAIN.encode())
        (folder / f"testlist0{k}.txt").write_bytes(TEST.encode())
    return SplitLists.find(tmp_path)


def _table(groups_and_subsets):
    """A video table of one class from (group, subset) pairs."""
    rows = [{"video": f"A/v_A_g{g:02d}_c{i:02d}", "class_name": "A", "label": 0, "group": g, "clip": i,
             "split1": s} for i, (g, s) in enumerate(groups_and_subsets, 1)]
    return pd.DataFrame(rows)


# --- Splits ---------------------------------------------------------------------------------------

def test_video_table_takes_labels_from_classind_and_classes_from_folders(small_lists):
    videos = sp.video_table(small_lists)
    assert list(videos.columns) == ["video", "class_name", "label", "group", "clip", "split1", "split2", "split3"]
    assert list(videos["class_name"]) == ["Hammering", "Hammering", "HammerThrow", "HandstandPushups",
                                          "HandstandPushups"]  # label order, not sorted()
    row = videos.set_index("video").loc["HandstandPushups/v_HandStandPushups_g09_c02"]
    assert (row["class_name"], row["label"], row["group"], row["clip"], row["split1"]) == (
        "HandstandPushups", 2, 9, 2, "train")


def test_first_lines_keep_the_crlf_endings_from_a_folder_and_from_the_zip(small_lists, tmp_path):
    assert sp.first_lines(small_lists, "classInd.txt", 2) == ["1 Hammering\r\n", "2 HammerThrow\r\n"]
    archive_path = tmp_path / "zipped" / "UCF101TrainTestSplits-RecognitionTask.zip"
    archive_path.parent.mkdir()
    with zipfile.ZipFile(archive_path, "w") as archive:
        for path in small_lists.source.iterdir():
            archive.write(path, f"ucfTrainTestlist/{path.name}")
    zipped = SplitLists.find(archive_path.parent)
    assert sp.first_lines(zipped, "testlist01.txt", 1) == ["Hammering/v_Hammering_g01_c01.avi\r\n"]
    with pytest.raises(KeyError, match="nothing.txt"):
        sp.first_lines(zipped, "nothing.txt")


def test_shuffled_split_keeps_the_sizes_and_depends_on_the_seed():
    subsets = pd.Series(["train"] * 70 + ["test"] * 30, name="split1")
    shuffled = sp.shuffled_split(subsets, seed=3)
    assert shuffled.value_counts().to_dict() == {"train": 70, "test": 30}
    assert shuffled.equals(sp.shuffled_split(subsets, seed=3))
    assert not shuffled.equals(sp.shuffled_split(subsets, seed=4))
    assert not shuffled.equals(subsets)


def test_group_leak_counts_test_videos_with_a_training_sibling():
    videos = _table([(1, "train"), (1, "test"), (2, "test"), (2, "test"), (3, "train")])
    assert sp.group_leak(videos, videos["split1"]) == pytest.approx(100 / 3)
    other_class = videos.assign(class_name=["A", "B", "A", "A", "A"])  # g01 of B is not g01 of A
    assert sp.group_leak(other_class, other_class["split1"]) == 0.0
    with pytest.raises(ValueError, match="no test videos"):
        sp.group_leak(videos, pd.Series(["train"] * 5))


def test_official_splits_do_not_leak_and_random_ones_do(official_root):
    videos = sp.video_table(SplitLists.find(official_root))
    leak = sp.leak_table(videos, seed=0)
    assert list(leak["split"]) == [1, 2, 3]
    assert (leak["official split"] == 0).all()
    assert (leak["random split"] > 40).all()  # two clips per group: most test clips have a sibling in training


def test_nearest_neighbour_finds_the_closest_training_video():
    features = np.array([[0.0], [10.0], [0.1], [9.0], [5.2]])
    labels = [0, 1, 0, 1, 0]
    subsets = pd.Series(["train", "train", "test", "test", "test"])
    assert sp.nearest_neighbour_top1(features, labels, subsets) == pytest.approx(200 / 3)  # 5.2 is nearer 10
    with pytest.raises(ValueError, match="both training and test"):
        sp.nearest_neighbour_top1(features, labels, pd.Series(["train"] * 5))


def test_appearance_features_make_clips_of_a_group_neighbours(prepared_root):
    manifest = load_manifest(prepared_root)
    features = sp.appearance_features(prepared_root, manifest, frames=4, size=(12, 9))
    assert features.shape == (len(manifest), 3 * 9 * 12)
    assert 0 <= features.min() and features.max() <= 1
    np.testing.assert_array_equal(features, sp.appearance_features(prepared_root, manifest, frames=4, size=(12, 9)))
    distances = np.linalg.norm(features[:, None] - features[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    nearest = distances.argmin(axis=1)
    same_group = (manifest["group"].to_numpy()[nearest] == manifest["group"].to_numpy()) & (
        manifest["class_name"].to_numpy()[nearest] == manifest["class_name"].to_numpy())
    assert same_group.mean() > 0.5  # chance is 1 in 60: a group's scene is what appearance sees


def test_nearest_neighbour_table_shows_the_leak(prepared_root):
    manifest = load_manifest(prepared_root)
    features = sp.appearance_features(prepared_root, manifest, frames=4)
    table = sp.nearest_neighbour_table(features, manifest, seed=0)
    assert list(table.columns) == ["split", "group split", "random split"]
    assert (table["random split"] > table["group split"]).all()
    assert table["random split"].mean() > table["group split"].mean() + 15


# --- Figures --------------------------------------------------------------------------------------

def test_split_sizes_and_clips_per_group_count_the_lists(small_lists):
    videos = sp.video_table(small_lists)
    sizes = viz.split_sizes(videos)
    assert sizes.query("split == 'split 1'").set_index("subset")["videos"].to_dict() == {"train": 3, "test": 2}
    table = viz.clips_per_group(videos)
    assert list(table.index) == ["Hammering", "HammerThrow", "HandstandPushups"]
    assert table.loc["Hammering", 1] == 1 and table.loc["HammerThrow", 1] == 0


def test_split_sizes_figure_draws_the_counts(small_lists):
    fig = viz.plot_split_sizes(sp.video_table(small_lists))
    heights = sorted(round(bar.get_height()) for bars in fig.axes[0].containers for bar in bars)
    assert heights == [2, 2, 2, 3, 3, 3]
    plt.close(fig)


def test_motion_history_orders_the_changes_along_the_path():
    frames = np.zeros((10, 8, 40, 3), dtype=np.uint8)
    for t in range(10):
        frames[t, 2:6, 2 + 3 * t : 6 + 3 * t] = 255  # a square moving right, 3 pixels a frame
    history = viz.motion_history(frames, step=1)
    assert np.isnan(history[0]).all() and np.isnan(history[3, -5:]).all()  # never touched

    def trend(row):  # correlation of position and time of the last change along the row
        x = np.flatnonzero(~np.isnan(row))
        return np.corrcoef(x, row[x])[0, 1]

    assert trend(history[3]) > 0.9  # moving right: the later changes lie further right
    assert trend(viz.motion_history(frames[::-1], step=1)[3]) < -0.9  # played backwards: the order flips
    with pytest.raises(ValueError, match="step"):
        viz.motion_history(frames, step=10)


def test_pick_videos_is_seeded_and_names_unknown_classes(prepared_root):
    manifest = load_manifest(prepared_root)
    picked = viz.pick_videos(manifest, list(OFFICIAL_CLASSES), seed=1)
    assert list(picked["class_name"]) == list(OFFICIAL_CLASSES)
    assert picked.equals(viz.pick_videos(manifest, list(OFFICIAL_CLASSES), seed=1))
    with pytest.raises(ValueError, match="MoveLeft"):
        viz.pick_videos(manifest, ["MoveLeft"])


def test_frame_figures_show_one_row_per_class(prepared_root):
    manifest = load_manifest(prepared_root)
    fig = viz.plot_sample_frames(prepared_root, manifest, frames=3)
    assert len(fig.axes) == 3 * len(OFFICIAL_CLASSES)
    assert [fig.axes[3 * i].get_ylabel() for i in range(3)] == list(OFFICIAL_CLASSES)
    plt.close(fig)
    fig = viz.plot_frame_differences(prepared_root, manifest, ("Hammering", "HammerThrow"), gap=4)
    assert fig.axes[0].get_ylabel() == "Hammering" and fig.axes[1].get_title() == "frame 4"
    plt.close(fig)


@pytest.mark.filterwarnings("ignore:vert. bool was deprecated")  # seaborn 0.13's boxplot on matplotlib ≥ 3.11
def test_figures_are_deterministic(prepared_root, tmp_path):
    manifest = load_manifest(prepared_root)
    leak = pd.DataFrame({"split": [1, 2, 3], "official split": [0.0] * 3, "random split": [99.0] * 3})
    nearest = pd.DataFrame({"split": [1, 2, 3], "group split": [9.0] * 3, "random split": [70.0] * 3})
    makers = {
        "lengths": lambda: viz.plot_video_lengths(manifest),
        "groups": lambda: viz.plot_clips_per_group(manifest),
        "frames": lambda: viz.plot_frame_differences(prepared_root, manifest, ("Hammering", "HammerThrow"), seed=2),
        "leak": lambda: viz.plot_random_split_leak(leak, nearest, chance=100 / 3),
    }
    for name, make in makers.items():
        first = save_figure(make(), name, tmp_path / "a").read_bytes()
        second = save_figure(make(), name, tmp_path / "b").read_bytes()
        plt.close("all")
        assert first == second, name


# --- Exercises --------------------------------------------------------------------------------------

def _label_solution(lines, class_name):
    return {name: int(n) for n, name in (line.split() for line in lines)}[class_name] - 1


def _parse_solution(line):
    folder, file_name = line.split()[0].split("/")
    group, clip = file_name.removesuffix(".avi").split("_")[-2:]
    return folder, int(group[1:]), int(clip[1:])


def _leak_solution(train, test):
    groups = {(v.split("/")[0], v.split("_")[-2]) for v in train}
    return 100 * sum((v.split("/")[0], v.split("_")[-2]) in groups for v in test) / len(test)


@pytest.mark.parametrize("check, solution", [
    (ex.check_label_from_class_index, _label_solution),
    (ex.check_parse_list_line, _parse_solution),
    (ex.check_groups_tested_in, lambda k: range(7 * k - 6, 7 * k + 1)),  # any sequence of the groups passes
    (ex.check_group_leak, _leak_solution),
])
def test_solutions_pass_and_unfinished_exercises_do_not_stop_the_notebook(check, solution):
    assert check(solution, strict=True).passed
    result = check(lambda *args: None)
    assert not result.attempted and not result.passed


def test_wrong_answers_say_what_is_wrong(capsys):
    def label_from_sorted(lines, class_name):  # the trap: position in sorted() order
        names = sorted(line.split()[1] for line in lines)
        return 32 + names.index(class_name)

    result = ex.check_label_from_class_index(label_from_sorted)
    assert not result.passed and any("Hammering" in m and "expected 34" in m for m in result.messages)
    with pytest.raises(ExerciseFailed):
        ex.check_label_from_class_index(label_from_sorted, strict=True)

    def class_from_file_name(line):
        file_name = line.split()[0].split("/")[1]
        name, group, clip = file_name.removesuffix(".avi").split("_")[1:]
        return name, int(group[1:]), int(clip[1:])

    result = ex.check_parse_list_line(class_from_file_name)
    assert [m for m in result.messages if "HandStandPushups" in m]


def test_an_error_in_the_students_function_is_reported_not_raised():
    def crashes(lines, class_name):
        raise KeyError(class_name)

    result = ex.check_label_from_class_index(crashes)
    assert result.attempted and not result.passed
    assert "raised KeyError" in result.messages[0]
