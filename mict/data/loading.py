"""From a prepared dataset to batches: samplers, the DataLoader, and making sure the data is there."""

import os
import random
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler

from .. import paths
from ..runtime import Distributed
from .dataset import DataNotPreparedError, load_manifest
from .prepare import prepare_dataset
from .synth import generate_dataset, preset


class EpochSlice(Sampler):
    """A sampler's indices from position `start` on: resuming in the middle of an epoch."""

    def __init__(self, sampler: Sampler, start: int):
        self.sampler, self.start = sampler, start

    def __iter__(self):
        return iter(list(self.sampler)[self.start :])

    def __len__(self) -> int:
        return max(0, len(self.sampler) - self.start)


class ShardSampler(Sampler):
    """Every `world`-th index from `rank`: evaluation shards without DistributedSampler's padding."""

    def __init__(self, length: int, rank: int, world: int):
        self.indices = list(range(rank, length, world))

    def __iter__(self):
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def _seed_worker(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def make_loader(dataset, batch_size: int, sampler: Sampler, workers: int, device: torch.device,
                drop_last: bool = False, seed: int = 0) -> DataLoader:
    """A DataLoader with its own generator: starting one never consumes the global RNG, which
    drives dropout, so resuming in the middle of an epoch replays the same masks."""
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
                      pin_memory=device.type == "cuda", drop_last=drop_last, worker_init_fn=_seed_worker,
                      generator=torch.Generator().manual_seed(seed),
                      multiprocessing_context="fork" if workers and os.name == "posix" else None)


def ensure_prepared(root: str | Path, *, synthesize_at: tuple[int, int] | None = None, synthetic: str = "motion",
                    context: Distributed | None = None, progress: bool | None = None) -> Path:
    """`root` once it holds a prepared dataset.

    With `synthesize_at` (width, height), a missing dataset is the synthetic one named `synthetic`
    (`mict.data.synth.PRESETS`): it is generated under `paths.synthetic_raw_dir(synthetic)` and
    prepared into `root` at that frame size (by the main
    process of a distributed job, the others waiting). Without it, a missing dataset is an error
    that says how to prepare it.
    """
    root = Path(root)
    try:
        load_manifest(root)
        return root
    except DataNotPreparedError:
        if synthesize_at is None:
            raise
    if context is None or context.is_main:
        raw = paths.synthetic_raw_dir(synthetic)
        print(f"the synthetic dataset {synthetic!r} is not prepared yet: generating it under {raw} …")
        generate_dataset(raw, preset(synthetic), progress=progress)
        print(prepare_dataset(raw, root, size=synthesize_at, progress=progress).summary())
    if context is not None:
        context.barrier()
    return root
