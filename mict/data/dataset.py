"""Clips for PyTorch: a Dataset over a prepared manifest, with honest train/val/test subsets.

The validation subset is carved out of the training list by whole groups, so that
model selection never looks at the test list and never sees a training scene. (The
original chose its best checkpoint on the test list; its accuracies are optimistic.)
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset
from torchcodec.decoders import decode_jpeg

from ..errors import ConfigError, CorruptFrameError, DataError, DataNotPreparedError
from .augment import CROP_SCALES, EvalTransform, TrainTransform
from .prepare import DECODED, MANIFEST, MANIFEST_COLUMNS, reprepare_command
from .sampling import TemporalSample, first_frames, sample_training_frames, uniform_clips
from .ucf101 import check_split

SUBSETS = ("train", "val", "test", "trainval")
SAMPLINGS = ("random", "first", "uniform")
#: Groups of the training list held out for validation: the highest-numbered ones.
DEFAULT_VAL_GROUPS = 3


def load_manifest(root: str | Path) -> pd.DataFrame:
    """The manifest written by `mict prepare`, checked, with a clear error when it is missing."""
    root = Path(root)
    path = root / MANIFEST
    if not path.is_file():
        raise DataNotPreparedError(
            f"no prepared dataset at {root} ({MANIFEST} is missing). Prepare it with\n"
            f"  mict prepare --root /path/to/UCF101 --out {root}\n"
            f"or, for the synthetic dataset, `mict synth --out DIR` then `mict prepare --root DIR --out {root}`."
        )
    manifest = pd.read_csv(path)
    missing = [c for c in MANIFEST_COLUMNS if c not in manifest.columns]
    if missing:
        raise DataError(f"{path} lacks the columns {missing}; prepare the data again with `mict prepare`")
    if manifest.empty:
        raise DataError(f"{path} lists no videos; did `mict prepare` fail on every video? See failures.csv")
    return manifest


def class_names(root: str | Path, manifest: pd.DataFrame | None = None) -> list[str]:
    """Class names in label order (from classes.txt, else from the manifest)."""
    path = Path(root) / "classes.txt"
    if path.is_file():
        return path.read_text().split()
    manifest = load_manifest(root) if manifest is None else manifest
    pairs = manifest[["label", "class_name"]].drop_duplicates().sort_values("label")
    return list(pairs["class_name"])


def validation_groups(manifest: pd.DataFrame, split: int, count: int = DEFAULT_VAL_GROUPS) -> list[int]:
    """The `count` highest-numbered groups of split k's training list."""
    check_split(split)
    train_groups = sorted(manifest.loc[manifest[f"split{split}"] == "train", "group"].unique())
    if count >= len(train_groups):
        raise ConfigError(f"cannot hold out {count} of the {len(train_groups)} training groups for validation")
    return [int(g) for g in train_groups[len(train_groups) - count :]] if count else []


def select_subset(manifest: pd.DataFrame, split: int, subset: str,
                  val_groups: int = DEFAULT_VAL_GROUPS) -> pd.DataFrame:
    """Rows of one subset: train (minus validation groups), val, test, or trainval (the whole train list)."""
    check_split(split)
    if subset not in SUBSETS:
        raise ConfigError(f"subset must be one of {SUBSETS}, got {subset!r}")
    column = manifest[f"split{split}"]
    if subset == "test":
        rows = manifest[column == "test"]
    else:
        rows = manifest[column == "train"]
        held_out = rows["group"].isin(validation_groups(manifest, split, val_groups))
        rows = {"train": rows[~held_out], "val": rows[held_out], "trainval": rows}[subset]
    return rows.reset_index(drop=True)


class DecodedFramesInMemory:
    """Decoded frame stores (`frames.npy`) read once per process and kept in memory, up to a budget.

    An epoch reads a frame of every training video; with the store in memory, every epoch after
    the first reads no file at all. Beyond the budget (MICT_FRAME_CACHE_MB, default 2048; 0 keeps
    nothing) stores are memory-mapped on each read instead. A store rewritten on disk (by
    `mict prepare --verify`) is read again when next asked for: a new `ClipDataset` asks for all of
    its stores once, when it is made, and keeps them.
    """

    def __init__(self):
        self._stores: dict[Path, tuple[tuple[int, int], np.ndarray]] = {}
        self._bytes = 0

    @staticmethod
    def budget() -> int:
        return int(float(os.environ.get("MICT_FRAME_CACHE_MB", "2048")) * 2**20)

    def frames(self, stored: Path) -> np.ndarray:
        stat = stored.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        kept = self._stores.get(stored)
        if kept is not None and kept[0] == version:
            return kept[1]
        frames = np.load(stored, mmap_mode="r")
        if kept is not None:
            self._bytes -= kept[1].nbytes
            del self._stores[stored]
        if self._bytes + frames.nbytes <= self.budget():
            frames = np.array(frames, order="C")  # a copy: ascontiguousarray would keep the mapping
            self._stores[stored] = (version, frames)
            self._bytes += frames.nbytes
        return frames


DECODED_IN_MEMORY = DecodedFramesInMemory()


def read_frames(folder: Path, indices: tuple[int, ...] | list[int], decoded: bool = True) -> torch.Tensor:
    """The frames `indices` (0-based) of a prepared video: uint8 T×3×H×W, channels-last.

    Small frames come from the video's decoded copy (`frames.npy`, kept in memory by
    `DecodedFramesInMemory`). Otherwise
    each distinct frame is decoded once (a looped clip repeats frames), in one batched call to
    TorchCodec's libjpeg-turbo decoder. Both give H×W×C pixels; keeping that memory layout
    (T·H·W·C) makes the stack free and torchvision's uint8 resize several times faster than on
    a T·C·H·W copy. `decoded=False` always decodes the JPEGs (to measure what the decoded copy
    saves). A frame that does not decode raises CorruptFrameError, which names the video, the
    frame and the command that repairs it. The frames may be a view of the decoded copy kept in
    memory (`pick_decoded_frames`): copy them before writing to them.
    """
    if decoded and (folder / DECODED).is_file():
        return pick_decoded_frames(folder, decoded_store(folder), indices)
    unique = sorted(set(indices))
    paths = [str(folder / f"{i + 1:05d}.jpg") for i in unique]
    try:
        by_index = dict(zip(unique, decode_jpeg(paths), strict=True))
    except FileNotFoundError as error:
        raise DataNotPreparedError(f"{error.filename} is missing: prepare the data again with `mict prepare`") from None
    except RuntimeError:
        raise _corrupt_frame(folder, paths) from None
    return torch.stack([by_index[i].permute(1, 2, 0) for i in indices]).permute(0, 3, 1, 2)


def decoded_store(folder: Path) -> np.ndarray:
    """A prepared video's decoded frames, n_frames×H×W×3 (see `DecodedFramesInMemory`)."""
    try:
        return DECODED_IN_MEMORY.frames(folder / DECODED)
    except (ValueError, OSError) as error:
        raise _corrupt_frame(folder, [str(folder / DECODED)], reason=str(error)) from None


def pick_decoded_frames(folder: Path, store: np.ndarray, indices: tuple[int, ...] | list[int]) -> torch.Tensor:
    """The frames `indices` of a video's decoded store (n_frames×H×W×3): uint8 T×3×H×W, channels-last.

    Evenly spaced frames (a training clip that is not looped) are a strided view of the store, so
    that the crop reads only what it keeps, and no copy is made: never write to the result.
    """
    indices = tuple(indices)
    step = indices[1] - indices[0] if len(indices) > 1 else 1
    evenly_spaced = step > 0 and indices == tuple(range(indices[0], indices[0] + step * len(indices), step))
    try:
        if evenly_spaced and indices[-1] < len(store):
            frames = store[indices[0] : indices[-1] + 1 : step]
        else:
            frames = store[list(indices)]
    except (ValueError, OSError, IndexError) as error:
        raise _corrupt_frame(folder, [str(folder / DECODED)], reason=str(error)) from None
    return torch.from_numpy(frames).permute(0, 3, 1, 2)


def _first_undecodable(paths: list[str]) -> tuple[Path, str] | None:
    """(path, decoder's complaint) of the first JPEG of `paths` that does not decode on its own."""
    for path in paths:
        try:
            decode_jpeg(path)
        except RuntimeError as error:
            return Path(path), str(error).strip().splitlines()[-1]
    return None


def _corrupt_frame(folder: Path, paths: list[str], reason: str | None = None) -> CorruptFrameError:
    """An error naming the frame (of `paths`) that does not decode, and the command that repairs it."""
    if reason is not None:
        bad = Path(paths[0])
    else:
        bad, reason = _first_undecodable(paths) or (folder, "the batch of frames did not decode")
    root = folder.parents[2]  # OUT/frames/<Class>/<video>
    return CorruptFrameError(
        f"{'frame ' if bad.suffix == '.jpg' else ''}{bad.name} of video {folder.parent.name}/{folder.name} does not "
        f"decode ({reason}): {bad}\n"
        f"Re-prepare the videos whose frames do not all decode with\n  {reprepare_command(root)}"
    )


@dataclass(frozen=True)
class ClipInfo:
    """How one item was made: the video, the frames taken and the augmentation drawn."""

    video: str
    label: int
    samples: tuple[TemporalSample, ...]
    augmentation: object | None


class ClipDataset(Dataset):
    """Clips of a prepared dataset: `(clip, label)` with clip a float C×T×H×W tensor.

    sampling: 'random' (training: random down-sampling 1…4, random start, looped),
    'first' (the first `frames` frames; all of them when frames=None), or 'uniform'
    (`clips` clips spread over the video, or over its first `span` frames: the item is
    then K×C×T×H×W).
    Training augmentation is on for subset='train' unless `augment` says otherwise.

    Randomness comes from a generator seeded by (seed, epoch, index): the same item of
    the same epoch is the same clip whichever DataLoader worker makes it, workers never
    repeat each other, and a resumed run sees the same clips. Call `set_epoch` each epoch.

    A clip does not depend on the number of threads (a worker has one, the training process
    all of them; tests/test_clips.py checks it), so items are made on whatever threads the process
    has: setting the thread count for each clip would make the model's next step slower.
    """

    def __init__(
        self,
        root: str | Path,
        split: int = 1,
        subset: str = "train",
        frames: int | None = 16,
        *,
        crop_size: int = 160,
        base_size: int = 192,
        sampling: str | None = None,
        clips: int = 1,
        span: int | None = None,
        augment: bool | None = None,
        hflip: bool = True,
        crop_scales: tuple[int, ...] = CROP_SCALES,
        colour_jitter: float = 0.5,
        max_step: int = 4,
        val_groups: int = DEFAULT_VAL_GROUPS,
        seed: int = 0,
        return_info: bool = False,
        decoded: bool = True,
    ):
        self.root = Path(root)
        self.manifest = load_manifest(self.root)
        self.classes = class_names(self.root, self.manifest)
        self.split, self.subset = split, subset
        self.videos = select_subset(self.manifest, split, subset, val_groups)
        if self.videos.empty:
            raise DataError(f"split {split} has no {subset!r} videos in {self.root / MANIFEST}")
        self.sampling = sampling or ("random" if subset == "train" else "first")
        if self.sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {SAMPLINGS}, got {self.sampling!r}")
        if frames is None and self.sampling != "first":
            raise ValueError("frames=None (whole videos) only works with sampling='first'")
        self.frames, self.clips, self.span, self.max_step = frames, clips, span, max_step
        augment = subset == "train" if augment is None else augment
        self.transform = (TrainTransform(crop_size, base_size, hflip=hflip, scales=crop_scales,
                                         colour_jitter=colour_jitter) if augment
                          else EvalTransform(crop_size, base_size))
        self.seed, self.epoch, self.return_info, self.decoded = seed, 0, return_info, decoded
        self._labels = self.videos["label"].to_numpy()
        self._n_frames = self.videos["n_frames"].to_numpy()
        self._folders = [self.root / d for d in self.videos["frames_dir"]]
        # Read in this process, so that DataLoader workers forked from it share them; a store that
        # does not fit the memory budget is read (memory-mapped) on each item instead.
        self._stores_in_memory = [None] * len(self._folders)
        if decoded:
            for i, folder in enumerate(self._folders):
                if (folder / DECODED).is_file():
                    store = decoded_store(folder)
                    self._stores_in_memory[i] = None if isinstance(store, np.memmap) else store

    def __len__(self) -> int:
        return len(self.videos)

    @property
    def labels(self) -> np.ndarray:
        return self._labels

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def generator(self, index: int) -> torch.Generator:
        seed = np.random.SeedSequence([self.seed, self.epoch, index]).generate_state(1, dtype=np.uint64)[0]
        return torch.Generator().manual_seed(int(seed))

    def temporal_samples(self, index: int, generator: torch.Generator) -> list[TemporalSample]:
        n = int(self._n_frames[index])
        if self.sampling == "random":
            return [sample_training_frames(n, self.frames, generator, self.max_step)]
        if self.sampling == "first":
            return [first_frames(n, self.frames)]
        return uniform_clips(min(n, self.span) if self.span else n, self.frames, self.clips)

    def __getitem__(self, index: int):
        generator = self.generator(index)
        samples = self.temporal_samples(index, generator)
        store, folder = self._stores_in_memory[index], self._folders[index]
        augmentation, clips = None, []
        for sample in samples:
            frames = (read_frames(folder, sample.indices, self.decoded) if store is None
                      else pick_decoded_frames(folder, store, sample.indices))
            if augmentation is None:
                clip, augmentation = self.transform(frames, generator)
            else:  # the K clips of one training video share one augmentation
                clip = self.transform.apply(frames, augmentation)
            clips.append(clip)
        clip = clips[0] if self.sampling != "uniform" else torch.stack(clips)
        label = int(self._labels[index])
        if self.return_info:
            return clip, label, ClipInfo(self.videos["video"].iloc[index], label, tuple(samples), augmentation)
        return clip, label
