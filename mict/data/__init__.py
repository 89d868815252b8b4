"""Data: UCF-101's distribution, the synthetic motion dataset, preparation, clips, augmentation
and loading."""

from ..errors import CorruptFrameError, DataError, DataNotPreparedError
from .augment import (
    CROP_POSITIONS,
    CROP_SCALES,
    IMAGENET_MEAN,
    IMAGENET_STD,
    ClipAugmentation,
    EvalTransform,
    TrainTransform,
    denormalize,
    normalize,
)
from .dataset import (
    ClipDataset,
    ClipInfo,
    class_names,
    load_manifest,
    read_frames,
    select_subset,
    validation_groups,
)
from .loading import EpochSlice, ShardSampler, ensure_prepared, make_loader
from .prepare import PrepareReport, parse_size, prepare_dataset
from .sampling import TemporalSample, first_frames, sample_training_frames, uniform_clips
from .synth import MOTION_CLASSES, SynthConfig, generate_dataset
from .ucf101 import SplitListError, SplitLists, VideoName, groups_tested_in

__all__ = [
    "CROP_POSITIONS", "CROP_SCALES", "IMAGENET_MEAN", "IMAGENET_STD", "MOTION_CLASSES",
    "ClipAugmentation", "ClipDataset", "ClipInfo", "CorruptFrameError", "DataError", "DataNotPreparedError",
    "EpochSlice", "EvalTransform", "PrepareReport", "ShardSampler", "SplitListError", "SplitLists", "SynthConfig",
    "TemporalSample", "TrainTransform", "VideoName", "class_names", "denormalize", "ensure_prepared",
    "first_frames", "generate_dataset", "groups_tested_in", "load_manifest", "make_loader", "normalize",
    "parse_size", "prepare_dataset", "read_frames", "sample_training_frames", "select_subset", "uniform_clips",
    "validation_groups",
]
