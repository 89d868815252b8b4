"""Clip sampling, clip-consistent augmentation and the ClipDataset."""

import numpy as np
import pytest
import torch
import torchvision.transforms.v2.functional as TF
from torch.utils.data import DataLoader

from mict.data import (
    ClipDataset,
    CorruptFrameError,
    DataNotPreparedError,
    EvalTransform,
    TrainTransform,
    denormalize,
    first_frames,
    normalize,
    sample_training_frames,
    select_subset,
    uniform_clips,
)
from mict.data.augment import to_unit_float
from mict.data.dataset import load_manifest, pick_decoded_frames


def test_training_sampling_downsamples_then_takes_consecutive_frames():
    generator = torch.Generator().manual_seed(0)
    steps = set()
    for _ in range(200):
        sample = sample_training_frames(100, 16, generator)
        steps.add(sample.step)
        assert len(sample) == 16 and not sample.looped
        assert all(b - a == sample.step for a, b in zip(sample.indices, sample.indices[1:], strict=False))
        assert sample.start % sample.step == 0 and sample.indices[-1] < 100
    assert steps == {1, 2, 3, 4}


def test_training_sampling_loops_a_short_sequence():
    generator = torch.Generator().manual_seed(1)
    sample = sample_training_frames(5, 16, generator, max_step=1)
    assert sample.looped and sample.indices == (0, 1, 2, 3, 4) * 3 + (0,)


def test_test_sampling_first_frames_and_uniform_clips():
    assert first_frames(50, 16).indices == tuple(range(16))
    assert first_frames(40).indices == tuple(range(40))  # the whole video
    assert first_frames(10, 16).indices == tuple(range(10)) + tuple(range(6))
    clips = uniform_clips(100, 16, 5)
    assert [c.start for c in clips] == [0, 21, 42, 63, 84]
    assert clips[-1].indices[-1] == 99 and all(len(c) == 16 for c in clips)
    assert [c.start for c in uniform_clips(10, 16, 3)] == [0, 0, 0]
    with pytest.raises(ValueError, match="at least one frame"):
        first_frames(0, 16)


def _static_clip(frames=8, height=72, width=96):
    generator = torch.Generator().manual_seed(0)
    frame = torch.randint(0, 256, (1, 3, height, width), dtype=torch.uint8, generator=generator)
    return frame.expand(frames, -1, -1, -1).contiguous()


def test_every_frame_of_a_clip_gets_the_same_transform():
    transform = TrainTransform(crop_size=64, base_size=72)
    generator = torch.Generator().manual_seed(3)
    for _ in range(20):
        out, params = transform(_static_clip(), generator)
        assert out.shape == (3, 8, 64, 64)
        assert (out == out[:, :1]).all(), params  # identical frames stay identical


def test_augmentation_applies_the_drawn_parameters_to_each_frame():
    transform = TrainTransform(crop_size=64, base_size=72)
    generator = torch.Generator().manual_seed(5)
    clip = torch.randint(0, 256, (4, 3, 72, 96), dtype=torch.uint8, generator=generator)
    params = transform.draw(generator, 72, 96)
    out = transform.apply(clip, params, normalized=False)
    top, left, h, w = params.box
    for t in range(4):
        frame = TF.horizontal_flip(clip[t]) if params.flip else clip[t]
        frame = TF.resized_crop(frame, top, left, h, w, [64, 64], antialias=True)
        frame = TF.to_dtype(frame, torch.float32, scale=True)
        frame = TF.adjust_contrast(TF.adjust_brightness(TF.adjust_saturation(frame, params.saturation),
                                                        params.brightness), params.contrast)
        torch.testing.assert_close(out[t], frame)


def torchvision_pipeline(clip: torch.Tensor, params, crop_size: int) -> torch.Tensor:
    """The training augmentation through torchvision's public functional API, on the whole clip."""
    clip = TF.horizontal_flip(clip) if params.flip else clip
    clip = TF.resized_crop(clip, *params.box, [crop_size, crop_size], antialias=True)
    clip = to_unit_float(clip)  # a division: TF.to_dtype multiplies by 1/255, a different rounding
    clip = TF.adjust_saturation(clip, params.saturation)
    return TF.adjust_contrast(TF.adjust_brightness(clip, params.brightness), params.contrast)


@pytest.mark.parametrize("channels_last", [True, False], ids=["decoded layout", "contiguous"])
def test_training_clips_equal_torchvisions_pipeline_bit_for_bit(channels_last):
    """The loader calls torchvision's kernels directly; the clips must not change by a bit."""
    generator = torch.Generator().manual_seed(11)
    for crop_size, base_size in ((48, 54), (64, 72), (160, 192)):
        transform = TrainTransform(crop_size, base_size, hflip=True)
        for _ in range(12):
            clip = torch.randint(0, 256, (6, base_size, base_size * 4 // 3, 3), dtype=torch.uint8,
                                 generator=generator).permute(0, 3, 1, 2)
            clip = clip if channels_last else clip.contiguous()
            params = transform.draw(generator, *clip.shape[-2:])
            expected = torchvision_pipeline(clip, params, crop_size)
            assert torch.equal(transform.apply(clip, params, normalized=False), expected), params
            assert torch.equal(transform.apply(clip, params), normalize(expected)), params
            assert torch.equal(transform.steps(clip, params)[-1][1], expected)


def test_augmentation_draws_cover_the_original_choices():
    transform = TrainTransform(crop_size=160, base_size=192)
    generator = torch.Generator().manual_seed(0)
    draws = [transform.draw(generator, 192, 256) for _ in range(400)]
    assert {d.position for d in draws} == {"center", "top_left", "top_right", "bottom_left", "bottom_right"}
    assert {d.box[2] for d in draws} == {128, 144, 160, 176, 192}
    assert {d.box[3] for d in draws} == {128, 144, 160, 176, 192}
    assert {d.flip for d in draws} == {True, False}
    for name in ("saturation", "brightness", "contrast"):
        values = [getattr(d, name) for d in draws]
        assert 0.5 <= min(values) < 0.6 and 1.4 < max(values) <= 1.5
    corner = next(d for d in draws if d.position == "bottom_right")
    assert corner.box[0] + corner.box[2] == 192 and corner.box[1] + corner.box[3] == 256
    assert not any(d.flip for d in (TrainTransform(hflip=False).draw(generator, 192, 256) for _ in range(50)))


def test_eval_transform_is_a_centre_crop_of_the_base_size_and_normalisation_inverts():
    clip = torch.randint(0, 256, (3, 3, 240, 320), dtype=torch.uint8)
    out = EvalTransform(crop_size=160, base_size=192).apply(clip)
    assert out.shape == (3, 3, 160, 160)
    base = TF.resize(clip, [192, 256], antialias=True)
    expected = normalize(base[..., 16:176, 48:208])
    torch.testing.assert_close(out, expected)
    round_trip = denormalize(normalize(clip))
    assert (round_trip.int() - clip.int()).abs().max() <= 1


def test_validation_and_test_share_no_group(prepared_root):
    manifest = load_manifest(prepared_root)
    for split in (1, 2, 3):
        subsets = {s: select_subset(manifest, split, s) for s in ("train", "val", "test", "trainval")}
        groups = {s: set(rows["group"]) for s, rows in subsets.items()}
        assert not groups["val"] & groups["test"]
        assert not groups["val"] & groups["train"]
        assert not groups["train"] & groups["test"]
        assert groups["val"] and groups["val"] <= groups["trainval"]
        assert len(subsets["train"]) + len(subsets["val"]) == len(subsets["trainval"])
    assert sorted(select_subset(manifest, 1, "val")["group"].unique()) == [19, 20, 21]


def test_dataset_items_are_deterministic_per_seed_epoch_and_index(prepared_root):
    dataset = ClipDataset(prepared_root, split=1, subset="train", frames=8, crop_size=32, base_size=36)
    first = dataset[3][0]
    assert first.shape == (3, 8, 32, 32) and first.dtype == torch.float32
    assert torch.equal(first, dataset[3][0])
    dataset.set_epoch(1)
    assert not torch.equal(first, dataset[3][0])
    other_seed = ClipDataset(prepared_root, split=1, subset="train", frames=8, crop_size=32, base_size=36, seed=1)
    assert not torch.equal(first, other_seed[3][0])


def test_dataloader_workers_do_not_repeat_draws_and_match_a_single_process(prepared_root):
    dataset = ClipDataset(prepared_root, split=1, subset="train", frames=8, crop_size=32, base_size=36,
                          return_info=False)
    single = torch.cat([clip for clip, _ in DataLoader(dataset, batch_size=4)])
    parallel = torch.cat([clip for clip, _ in DataLoader(dataset, batch_size=4, num_workers=2)])
    assert torch.equal(single, parallel)
    flat = single.flatten(1)
    distinct = {tuple(np.round(row[:64].numpy(), 4)) for row in flat}
    assert len(distinct) == len(flat)


@pytest.mark.parametrize("subset, options", [("train", {}), ("test", {}),
                                             ("test", {"sampling": "uniform", "clips": 2})])
def test_a_clip_does_not_depend_on_the_number_of_threads(prepared_root, subset, options):
    # long clips, so that the colour ops' reductions and the elementwise ops are large enough to be split
    dataset = ClipDataset(prepared_root, split=1, subset=subset, frames=48, crop_size=32, base_size=36, **options)
    threads = torch.get_num_threads()
    try:
        made = {}
        for count in (1, 2):
            torch.set_num_threads(count)
            made[count] = [dataset[i][0] for i in range(4)]
    finally:
        torch.set_num_threads(threads)
    assert all(torch.equal(one, two) for one, two in zip(made[1], made[2], strict=True))


def test_dataset_exposes_what_was_sampled(prepared_root):
    dataset = ClipDataset(prepared_root, split=1, subset="train", frames=8, crop_size=32, base_size=36,
                          return_info=True)
    clip, label, info = dataset[0]
    assert info.video == dataset.videos["video"].iloc[0] and info.label == label
    assert len(info.samples) == 1 and len(info.samples[0].indices) == 8
    assert info.augmentation.position in ("center", "top_left", "top_right", "bottom_left", "bottom_right")


def test_test_subset_samplings(prepared_root):
    first = ClipDataset(prepared_root, split=2, subset="test", frames=16, crop_size=32, base_size=36)
    assert first.sampling == "first" and first[0][0].shape == (3, 16, 32, 32)
    whole = ClipDataset(prepared_root, split=2, subset="test", frames=None, crop_size=32, base_size=36)
    assert whole[0][0].shape[1] == whole.videos["n_frames"].iloc[0]
    uniform = ClipDataset(prepared_root, split=2, subset="test", frames=8, crop_size=32, base_size=36,
                          sampling="uniform", clips=3)
    assert uniform[0][0].shape == (3, 3, 8, 32, 32)


@pytest.mark.parametrize("indices", [(3, 5, 7, 9), (0, 1, 2, 3), (4,), (0, 2, 4, 0), (1, 1, 1), (2, 4, 8)],
                         ids=["every 2nd", "consecutive", "one", "looped", "repeated", "uneven"])
def test_frames_of_a_decoded_store_are_picked_as_indexed(prepared_root, indices):
    dataset = ClipDataset(prepared_root, split=1, subset="train", frames=4, crop_size=32, base_size=36)
    folder = dataset._folders[0]
    store = np.load(folder / "frames.npy")
    frames = pick_decoded_frames(folder, store, indices)
    assert torch.equal(frames, torch.from_numpy(store[list(indices)]).permute(0, 3, 1, 2))
    assert frames.shape == (len(indices), 3, *store.shape[1:3])
    steps = {b - a for a, b in zip(indices, indices[1:], strict=False)}
    evenly_spaced = len(steps) <= 1 and all(step > 0 for step in steps)
    assert np.shares_memory(frames.numpy(), store) == evenly_spaced  # a view, never a copy, when it can be
    with pytest.raises(CorruptFrameError, match="frames.npy of video"):
        pick_decoded_frames(folder, store, (len(store) - 1, len(store), len(store) + 1))


def test_dataset_errors_are_explained(prepared_root, tmp_path):
    with pytest.raises(DataNotPreparedError, match="mict prepare"):
        ClipDataset(tmp_path)
    with pytest.raises(ValueError, match="split must be 1, 2 or 3"):
        ClipDataset(prepared_root, split=4)
    with pytest.raises(ValueError, match="subset must be one of"):
        ClipDataset(prepared_root, subset="validation")
    with pytest.raises(ValueError, match="only works with sampling='first'"):
        ClipDataset(prepared_root, subset="train", frames=None)
