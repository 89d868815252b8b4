"""The original's reported figures: internally consistent, and the headline numbers are what the data give."""

import pytest

from mict import reference


def test_the_headline_accuracies_are_the_3_split_means_at_300_frames():
    means = reference.clip_length().query("frames == 300").groupby("model")["top1"].mean()
    for row in reference.headline().itertuples():
        assert round(means[row.model], 1) == pytest.approx(row.top1), row.model
    assert set(reference.headline()["model"]) == {"mict_resnet18", "mict_resnet34"}


def test_the_released_checkpoints_are_the_split_1_rows_of_the_clip_length_study():
    table = reference.clip_length().query("split == 1").pivot(index="model", columns="frames", values="top1")
    for row in reference.released_weights().itertuples():
        assert (table.loc[row.model, row.clip_frames], table.loc[row.model, row.video_frames]) == (
            row.clip_top1, row.video_top1)


def test_every_split_and_length_is_there():
    table = reference.clip_length()
    assert len(table) == 2 * 3 * 5 and set(table["frames"]) == {16, 35, 75, 150, 300}
    kernels = reference.architectures().query("model == 'mict_resnet18'")
    assert sorted(kernels["first_kernel"]) == [3, 5, 7]
