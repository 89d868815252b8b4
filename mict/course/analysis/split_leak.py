"""Why UCF-101 is split by groups: measuring what a random split leaks.

A UCF-101 group is one actor in one place; its 4–7 clips look alike. The official
splits keep every group on one side. A random split of the same sizes puts clips of
almost every test group into training, and a classifier can then recognise the scene
instead of the action. Two measures show it: how many test videos share their group
with a training video, and how well a 1-nearest-neighbour on appearance alone does.
"""

import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import torch

from mict.data.dataset import read_frames
from mict.data.ucf101 import SPLITS, SplitLists, VideoName

SPLIT_COLUMNS = [f"split{k}" for k in SPLITS]


def video_table(lists: SplitLists) -> pd.DataFrame:
    """One row per listed video, with the manifest's columns: video, class_name, label, group, clip, split1…3."""
    classes = lists.classes()
    membership = {k: lists.split(k) for k in SPLITS}
    label_of = {name: i for i, name in enumerate(classes)}
    rows = []
    for video in sorted(membership[1], key=lambda v: (label_of[VideoName.parse(v).class_name], v)):
        name = VideoName.parse(video)
        rows.append({"video": video, "class_name": name.class_name, "label": label_of[name.class_name],
                     "group": name.group, "clip": name.clip,
                     **{f"split{k}": membership[k].get(video, "") for k in SPLITS}})
    return pd.DataFrame(rows)


def shuffled_split(subsets: pd.Series, seed: int = 0) -> pd.Series:
    """A random split of the same sizes: the same 'train'/'test' values, shuffled over the videos."""
    rng = np.random.default_rng(seed)
    return pd.Series(rng.permutation(subsets.to_numpy()), index=subsets.index, name=subsets.name)


def group_leak(videos: pd.DataFrame, subsets: pd.Series) -> float:
    """Percentage of test videos whose group (class and group number) also has a training video."""
    groups = list(zip(videos["class_name"], videos["group"], strict=True))
    seen_in_training = {g for g, s in zip(groups, subsets, strict=True) if s == "train"}
    tested = [g for g, s in zip(groups, subsets, strict=True) if s == "test"]
    if not tested:
        raise ValueError("the split has no test videos")
    return 100.0 * sum(g in seen_in_training for g in tested) / len(tested)


def leak_table(videos: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Per split: the group leak of the official split and of a random split of the same sizes."""
    rows = []
    for k, column in zip(SPLITS, SPLIT_COLUMNS, strict=True):
        official = videos[column]
        rows.append({"split": k, "official split": group_leak(videos, official),
                     "random split": group_leak(videos, shuffled_split(official, seed + k))})
    return pd.DataFrame(rows)


def appearance_features(root: str | Path, manifest: pd.DataFrame, frames: int = 8,
                        size: tuple[int, int] = (24, 18)) -> np.ndarray:
    """Each video's mean frame, pooled down to `size` (width, height): what it looks like, not how it moves.

    `frames` frames spread over the video are averaged; the result is N × (3·height·width).
    """
    root = Path(root)
    features = []
    for folder, n in zip(manifest["frames_dir"], manifest["n_frames"], strict=True):
        indices = np.linspace(0, n - 1, min(frames, n)).round().astype(int).tolist()
        mean_frame = read_frames(root / folder, indices).numpy().mean(axis=0, dtype=np.float32)  # numpy: faster here
        pooled = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(mean_frame), (size[1], size[0]))
        features.append(pooled.flatten().numpy() / 255.0)
    return np.stack(features)


def nearest_neighbour_top1(features: np.ndarray, labels, subsets: pd.Series) -> float:
    """Top-1 (%) on the test videos of a 1-nearest-neighbour classifier fitted on the training videos."""
    labels = np.asarray(labels)
    train, test = (subsets == "train").to_numpy(), (subsets == "test").to_numpy()
    if not train.any() or not test.any():
        raise ValueError("the split needs both training and test videos")
    distances = torch.cdist(torch.as_tensor(features[test]), torch.as_tensor(features[train]))
    predicted = labels[train][distances.argmin(dim=1).numpy()]
    return 100.0 * float(np.mean(predicted == labels[test]))


def nearest_neighbour_table(features: np.ndarray, manifest: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Per split: 1-NN top-1 (%) on appearance under the official group split and under a random one."""
    rows = []
    for k, column in zip(SPLITS, SPLIT_COLUMNS, strict=True):
        official = manifest[column]
        rows.append({"split": k,
                     "group split": nearest_neighbour_top1(features, manifest["label"], official),
                     "random split": nearest_neighbour_top1(features, manifest["label"],
                                                            shuffled_split(official, seed + k))})
    return pd.DataFrame(rows)



def first_lines(lists: SplitLists, name: str, count: int = 3) -> list[str]:
    """The first `count` lines of one list file as stored on disk, CRLF endings included, to look at."""
    source = Path(lists.source)
    if source.is_dir():
        raw = (source / name).read_bytes()
    else:
        with zipfile.ZipFile(source) as archive:
            member = next((m for m in archive.namelist() if PurePosixPath(m).name == name), None)
            if member is None:
                raise KeyError(f"{source} holds no {name}")
            raw = archive.read(member)
    return raw.decode("utf-8-sig").splitlines(keepends=True)[:count]
