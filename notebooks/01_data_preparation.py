# %% [markdown]
# # 01 · Data: UCF-101, its splits, and a synthetic dataset that needs motion
#
# This course is about MiCT, the Mixed 3D/2D Convolutional Tube of Zhou, Sun, Zha and Zeng
# (CVPR 2018), which their paper builds on an Inception-style backbone. We follow, and call
# **the original** throughout the course, Florent Mahoudeau's MiCT-Net-PyTorch
# (<https://github.com/fmahoudeau/MiCT-Net-PyTorch>): MiCT on a ResNet backbone, trained and tested
# on UCF-101. Its code, its training recipe and the numbers its README reports
# (`data/reference/`) are what `mict` re-implements and compares with.
#
# *Study time: about 45 minutes, exercises included.*
#
# **Learning goals**
#
# * read UCF-101 as it is distributed: the video layout, the split lists and their traps
#   (labels come from `classInd.txt`, lines end in CRLF, the class is the folder);
# * know why UCF-101 is split by *groups*, and measure what a random split leaks;
# * generate the course's synthetic motion dataset and prepare it with the code that prepares
#   UCF-101;
# * explore a dataset with pandas and seaborn: video lengths, clips per class and group, split
#   sizes;
# * see why one frame is not enough to tell these actions apart.
#
# Once the synthetic dataset exists this notebook runs in well under a minute on a laptop CPU;
# creating it the first time takes about a minute and a half more.

# %% tags=["parameters"]
PROFILE = "quick"  # "full": UCF-101, prepared once with `mict prepare` (section 7)
RETRAIN = False  # nothing is trained in this notebook
FIGURES_ONLY = False
SEED = 0  # the random splits and the videos shown
OPPOSITE_CLASSES = ("MoveLeft", "MoveRight")  # try ("ZoomIn", "ZoomOut")
OFFICIAL_LISTS = None  # a folder holding UCF-101's lists (or their zip); None: the copy in data/ucf101-splits

# %%
from pathlib import Path

import pandas as pd

import mict
import mict.paths
from mict.course import Results, settings
from mict.course.analysis.split_leak import (
    appearance_features,
    first_lines,
    leak_table,
    nearest_neighbour_table,
    video_table,
)
from mict.course.exercises.data import (
    check_group_leak,
    check_groups_tested_in,
    check_label_from_class_index,
    check_parse_list_line,
)
from mict.course.viz import save_figure
from mict.course.viz.data import (
    plot_clips_per_group,
    plot_frame_differences,
    plot_random_split_leak,
    plot_sample_frames,
    plot_split_sizes,
    plot_video_lengths,
)
from mict.data import (
    SplitLists,
    SynthConfig,
    VideoName,
    class_names,
    generate_dataset,
    load_manifest,
    prepare_dataset,
)

course = settings(PROFILE, retrain=RETRAIN, figures_only=FIGURES_ONLY)
results = Results("01_data_preparation", PROFILE)
print(f"mict {mict.__version__}, profile {course.profile}, data {course.data_root}")

# %% [markdown]
# ## 1. The data of this notebook
#
# The quick profile works on a synthetic dataset written in **UCF-101's exact layout**
# (section 4 says how it is made and why), so the code that reads and prepares UCF-101 is
# the code that runs here. Two steps, both resumable — each skips the work already done, so
# this cell takes about 80 s the first time and a second afterwards:
#
# * `generate_dataset` renders the videos as MPEG-4 AVIs into `UCF-101/<Class>/` and writes
#   the split lists into `ucfTrainTestlist/`, as UCF-101 ships them;
# * `prepare_dataset` — what `mict prepare` runs — decodes every listed video once into JPEG
#   frames at the size the networks crop from (72×54 here, 256×192 for UCF-101) and writes
#   `manifest.csv`, one row per video. Training then never decodes a video again.
#
# In the full profile, UCF-101 is prepared once on the command line (section 7), and this
# cell only reads its manifest.

# %%
if course.profile == "quick":
    generate_dataset(course.raw_root, SynthConfig())
    report = prepare_dataset(course.raw_root, course.data_root, size=course.prepare_size)
    print(report.summary())
manifest = load_manifest(course.data_root)
manifest.head(3)

# %% [markdown]
# ## 2. UCF-101 as it is distributed
#
# UCF-101 holds 13,320 YouTube videos (320×240, 25 fps) of 101 actions. Its two downloads
# unpack to:
#
# ```text
# UCF101/
# ├── UCF-101/                                  one folder per class
# │   ├── ApplyEyeMakeup/
# │   │   ├── v_ApplyEyeMakeup_g01_c01.avi      group 01, clip 01
# │   │   ├── v_ApplyEyeMakeup_g01_c02.avi
# │   │   └── …
# │   ├── HandstandPushups/
# │   │   └── v_HandStandPushups_g01_c01.avi    the file says HandStand, the folder Handstand
# │   └── …                                     101 folders
# └── ucfTrainTestlist/                         (or UCF101TrainTestSplits-RecognitionTask.zip)
#     ├── classInd.txt                          "1 ApplyEyeMakeup" … "101 YoYo"
#     ├── trainlist01.txt … trainlist03.txt     "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1"
#     └── testlist01.txt … testlist03.txt       "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi"
# ```
#
# Each class has **25 groups** of 4–7 clips. The clips of a group share their actor and their
# scene, often cut from one longer video. Keep that in mind for section 3.
#
# The course ships the official lists, byte for byte as UCF publishes them, in
# `data/ucf101-splits/` (its README gives their source); `OFFICIAL_LISTS` can point elsewhere.

# %%
lists = SplitLists.find(Path(OFFICIAL_LISTS or mict.paths.official_splits_dir()))
source = "UCF-101's official lists"
print(f"reading {source} from {lists.source}\n")
for name in ("classInd.txt", "trainlist01.txt", "testlist01.txt"):
    print(f"{name:16}", first_lines(lists, name, 2))

# %% [markdown]
# Three things to notice in those raw lines:
#
# * every line ends in `\r\n` (Windows line endings): strip the lines, or a class named
#   `'YoYo\r'` will match nothing;
# * a training line carries a 1-based label, a test line none: the label of a test video comes
#   from its class folder and `classInd.txt`;
# * `classInd.txt` numbers the classes **in case-insensitive alphabetical order**. Python's
#   `sorted()` compares capitals before lower case, so labels computed with `sorted()` are
#   wrong for a few classes:

# %%
classes = lists.classes()  # in classInd.txt's order: label = index − 1
disagree = [(label, name, other) for label, (name, other) in enumerate(zip(classes, sorted(classes), strict=True)) if name != other]
print(f"{len(classes)} classes; where sorted() disagrees with classInd.txt:")
pd.DataFrame(disagree, columns=["label", "classInd.txt", "sorted()"])

# %% [markdown]
# On UCF-101 that is *HammerThrow*/*Hammering* and *JumpRope*/*JumpingJack*: a network
# trained with labels from `sorted()` would be tested against swapped answers for four classes,
# and nothing would crash. `mict` always takes the labels from `classInd.txt`.
#
# **Exercise 1.** Complete `label_of(lines, class_name)`: given the lines of `classInd.txt` as
# read from the file (CRLF included), return the 0-based label a network is trained on.

# %%
def label_of(lines, class_name):
    return None  # your code here


check_label_from_class_index(label_of)

# %% tags=["solution"] jupyter={"source_hidden": true}
def label_of_solution(lines, class_name):
    index = {name: int(number) for number, name in (line.split() for line in lines if line.strip())}
    return index[class_name] - 1


check_label_from_class_index(label_of_solution, strict=True)

# %% [markdown]
# The last trap is in the video names: the class is the **folder**, never the file name. In
# UCF-101 the *HandstandPushups* folder holds `v_HandStandPushups_*` files, and a parser that
# reads the class from the file name invents a 102nd class.

# %%
videos = video_table(lists)  # one row per listed video, with the manifest's columns
quirky = videos[videos["class_name"] == "HandstandPushups"]
(quirky if len(quirky) else videos).head(3)

# %% [markdown]
# **Exercise 2.** Complete `parse_line(line)`: from one line of a train or test list, return
# `(class_name, group, clip)`, with the class taken from the folder.

# %%
def parse_line(line):
    return None  # your code here


check_parse_list_line(parse_line)

# %% tags=["solution"] jupyter={"source_hidden": true}
def parse_line_solution(line):
    path = line.split()[0]  # drops the label and the line ending
    folder, file_name = path.split("/")
    group, clip = file_name.removesuffix(".avi").split("_")[-2:]
    return folder, int(group[1:]), int(clip[1:])


check_parse_list_line(parse_line_solution, strict=True)

# %% [markdown]
# ## 3. Splits by group, and what a random split leaks
#
# UCF-101 has three official splits. Split *k* tests on groups 7*k*−6 … 7*k* of **every** class
# and trains on the other 18, so the test actors and places are never seen in training; groups
# 22–25 are always training. With pandas, the whole dataset is a table:

# %%
per_class = videos.groupby("class_name")
print(f"{len(videos):,} videos, {videos['class_name'].nunique()} classes ({source})")
pd.DataFrame({
    "groups per class": per_class["group"].nunique().describe(),
    "videos per class": per_class.size().describe(),
    "clips per group": videos.groupby(["class_name", "group"]).size().describe(),
}).loc[["min", "mean", "max"]].round(1)

# %% [markdown]
# The groups each split tests on, read back from the test lists:

# %%
pd.DataFrame({f"split {k}": sorted(videos.loc[videos[f"split{k}"] == "test", "group"].unique())
              for k in (1, 2, 3)}).T

# %%
fig = plot_split_sizes(videos, title=f"Videos per split ({source})")
save_figure(fig, "01_split_sizes")

# %%
fig = plot_clips_per_group(videos, title=f"Clips per class and group ({source})")
save_figure(fig, "01_clips_per_group")

# %% [markdown]
# On UCF-101 the splits are 9,537/3,783, 9,586/3,734 and 9,624/3,696 videos: not the same
# sizes, because groups have 4 to 7 clips.
#
# **Exercise 3.** Complete `groups_tested(split)`: the groups split *k* tests on, in order.

# %%
def groups_tested(split):
    return None  # your code here


check_groups_tested_in(groups_tested)

# %% tags=["solution"] jupyter={"source_hidden": true}
def groups_tested_solution(split):
    return list(range(7 * split - 6, 7 * split + 1))


check_groups_tested_in(groups_tested_solution, strict=True)

# %% [markdown]
# Why not simply shuffle the videos and keep 28% for testing? Because clips of one group are
# near-duplicates. Shuffle, and almost every test video has a sibling — same person, same
# room, same lighting — in the training set. A network can then score well by recognising the
# *scene*, and the test accuracy no longer measures recognising the *action*. Count it: for each
# split, the share of test videos whose group also has a training video, under the official
# split and under a random split of exactly the same sizes.

# %%
leak = leak_table(videos, seed=SEED)
leak.round(1)

# %% [markdown]
# Zero under the official splits, by construction; about 99% under a random one — the random
# split leaks nearly every test group into training.
#
# **Exercise 4.** Complete `leak_percent(train_videos, test_videos)`: the percentage of test
# videos whose group has a video in the training list. A group belongs to its class: *YoYo*
# g09 and *Archery* g09 are different groups. (`VideoName.parse(video)` gives `.class_name` and
# `.group`, or reuse your `parse_line`.)

# %%
def leak_percent(train_videos, test_videos):
    return None  # your code here


check_group_leak(leak_percent)

# %% tags=["solution"] jupyter={"source_hidden": true}
def leak_percent_solution(train_videos, test_videos):
    def group(video):
        name = VideoName.parse(video)
        return name.class_name, name.group

    in_training = {group(video) for video in train_videos}
    return 100 * sum(group(video) in in_training for video in test_videos) / len(test_videos)


check_group_leak(leak_percent_solution, strict=True)

# %% [markdown]
# ## 4. The synthetic motion dataset
#
# Training on UCF-101 takes a GPU and hours. The course's quick profile trains in CPU minutes
# on a small dataset built so that **only motion tells the classes apart** — exactly what
# MiCT's 3D convolutions are for:
#
# * **ten classes, each a motion** of one shape: *MoveLeft*/*MoveRight*/*MoveUp*/*MoveDown*,
#   *RotateClockwise*/*RotateAnticlockwise*, *ZoomIn*/*ZoomOut*, *SwingSideways*, *BounceUpDown*;
# * **appearance says nothing about the class**: background texture, shape and colour come
#   from small pools that every class draws from the same way, and size and position are random;
# * **a group fixes the scene**, as a UCF-101 group fixes the actor and the place: its
#   texture (and how it is framed), its shape and its colour. Split *k* tests on groups
#   7*k*−6 … 7*k*, as in UCF-101;
# * 25 groups of 4–5 clips per class, 40–100 frames at 25 fps (1.6–4 s), 128×96 pixels with
#   a little camera shake and noise, prepared at 72×54.
#
# The whole recipe is `SynthConfig`; the same seed always gives the same videos, byte for byte.

# %%
SynthConfig()

# %% [markdown]
# The prepared dataset's manifest is a pandas table too. Its statistics, per class:

# %%
manifest.groupby("class_name").agg(
    videos=("video", "size"),
    groups=("group", "nunique"),
    frames_min=("n_frames", "min"),
    frames_mean=("n_frames", "mean"),
    frames_max=("n_frames", "max"),
).round(1)

# %%
results.record("synthetic_videos", len(manifest))
pd.crosstab(manifest["split1"], manifest["class_name"], margins=True)

# %%
fig = plot_video_lengths(manifest)
save_figure(fig, "01_video_lengths")

# %% [markdown]
# Every video is longer than the 16-frame clips the networks see (0.64 s), so a training clip
# is a choice of *where* in the video to look — notebook 02 makes that choice. UCF-101's
# videos are longer: from 1 s to over a minute, about 7 s on average.
#
# ## 5. Looking at the videos
#
# One video per class, five frames from its start to its end (the number in the corner is the
# frame index):

# %%
fig = plot_sample_frames(course.data_root, manifest, seed=SEED)
save_figure(fig, "01_sample_frames")

# %% [markdown]
# Cover the class names and pick any single frame: you cannot say which class it comes from.
# A shape on a textured background could be moving left, right, turning or growing. Compare two
# frames and the motion appears — but not yet its direction: the difference of two frames is
# the same whichever came first. The **order** gives the direction. The last column colours
# each pixel by the frame at which it last changed (a *motion history*): the trail brightens
# towards where the shape went.

# %%
pair = OPPOSITE_CLASSES if set(OPPOSITE_CLASSES) <= set(manifest["class_name"]) else class_names(course.data_root)[:2]
fig = plot_frame_differences(course.data_root, manifest, pair, seed=SEED)
save_figure(fig, "01_frame_differences")

# %% [markdown]
# That is the point of the course: a network that looks at frames one by one (a 2D CNN)
# sees the same bag of images for *MoveLeft* and *MoveRight*; one that convolves over time
# (3D kernels, MiCT's tubes) can see the order. Try `OPPOSITE_CLASSES = ("ZoomIn", "ZoomOut")`
# in the parameters cell.
#
# ## 6. The leak, measured with a classifier
#
# Section 3 counted shared groups. How much does the leak actually inflate an accuracy? Take
# the simplest classifier that *cannot* see motion: 1-nearest-neighbour on each video's mean
# frame (8 frames averaged, pooled down to 24×18 pixels) — its appearance and nothing else.
# Evaluate it on the official group split and on a random split of the same sizes.

# %%
features = appearance_features(course.data_root, manifest)
nearest = nearest_neighbour_table(features, manifest, seed=SEED)
chance = 100 / manifest["label"].nunique()
random_top1 = results.record("random_split_nn_top1", nearest.loc[0, "random split"])
group_top1 = results.record("group_split_nn_top1", nearest.loc[0, "group split"])
print(f"split 1, 1-NN on appearance: {random_top1:.1f}% with a random split, {group_top1:.1f}% with the "
      f"group split (chance {chance:.0f}%)")
nearest.round(1)

# %%
fig = plot_random_split_leak(leak, nearest, chance, leak_source=source, nearest_source="the prepared videos")
save_figure(fig, "01_random_split_leak")

# %% [markdown]
# With a random split, a classifier blind to motion gets most test videos right: their nearest
# neighbour is a clip of the same group, and the group gives away the class. With the group
# split it falls to about chance, which is the truth — in this dataset, appearance carries no
# information about the class. A random split would have reported a motion-blind model as a
# good action recogniser. (On UCF-101 appearance does carry *some* information — a pool
# suggests swimming — which is why frame-based networks do well there; the group split keeps
# that honest too.)
#
# ## 7. With UCF-101
#
# Download `UCF101.rar` and `UCF101TrainTestSplits-RecognitionTask.zip` from the UCF-101 page
# and put them in one folder `ROOT` so that it holds `UCF-101/` (unpacked) and either
# `ucfTrainTestlist/` or the zip itself. Then, once:
#
# ```bash
# mict prepare --root /path/to/UCF101 --out data/ucf101/prepared                    # 256×192 frames (default)
# mict prepare --root /path/to/UCF101 --out data/ucf101/original --size original    # keeps 320×240
# ```
#
# It runs one process per CPU core, is resumable (interrupt it and run it again), and reports
# the videos it could not decode instead of stopping. Then run this notebook, or the whole
# course, on UCF-101 with `PROFILE = "full"` in the parameters cell, or from the command line:
#
# ```bash
# mict course --profile full              # every notebook; --only 01 for this one
# ```
#
# The full profile reads `data/ucf101/prepared`, so prepare into that folder (or link it there).
#
# ## Recap
#
# * UCF-101 is `UCF-101/<Class>/v_<Class>_gGG_cCC.avi` plus `ucfTrainTestlist/`. Labels come
#   from `classInd.txt` (1-based, case-insensitive order: not `sorted()`), train lists carry
#   labels and test lists do not, lines end in CRLF, and the class is the folder
#   (`HandstandPushups/v_HandStandPushups_…`).
# * 13,320 videos, 101 classes, 25 groups of 4–7 clips per class. Split *k* tests on groups
#   7*k*−6 … 7*k*: 9,537/3,783, 9,586/3,734 and 9,624/3,696 videos.
# * A random split puts a sibling of ~99% of the test videos in training; a motion-blind 1-NN
#   then looks like a good classifier. Always split by group.
# * The synthetic dataset has UCF-101's layout and group structure, but only motion tells its
#   classes apart; `generate_dataset` and `prepare_dataset` (the code of `mict prepare`) make it.
# * One frame cannot tell *MoveLeft* from *MoveRight*; the order of frames can.
#
# ## Check your understanding
#
# 1. A test list line reads `YoYo/v_YoYo_g07_c04.avi`. Where does its label come from?
# 2. Why would labels computed with Python's `sorted()` silently mislabel four UCF-101 classes?
# 3. Which groups does split 2 test on, and why must every clip of a group stay on one side?
# 4. A 1-nearest-neighbour on one frame scores well on a random split of the synthetic dataset,
#    whose classes only differ by motion. What does it recognise?
#
# <details><summary>Answers</summary>
#
# 1. From its class folder (`YoYo`) and that class's index in `classInd.txt`, minus one: test lines
#    carry no label.
# 2. `classInd.txt` orders classes case-insensitively; `sorted()` puts capitals first, so
#    *HammerThrow*/*Hammering* and *JumpRope*/*JumpingJack* swap labels, and nothing crashes.
# 3. Groups 8–14. A group's clips share actor and scene: with siblings in training, a test video can
#    be recognised by its scene instead of its action.
# 4. The scene: the group's background, shape and colour, which a sibling clip in training shares.
#
# </details>
#
# **Next:** notebook 02 turns these videos into training clips: temporal sampling and
# clip-consistent augmentation.
