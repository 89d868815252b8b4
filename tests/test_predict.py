"""`mict predict`: any video file, preprocessed as at test time, top-5 and per-step probabilities."""

import av
import numpy as np
import pandas as pd
import pytest
import torch

from mict.cli import main
from mict.config import make_config
from mict.data import ClipDataset
from mict.data.synth import SynthConfig, VideoSpec, render_video
from mict.evaluate import predict_probabilities
from mict.predict import predict_video, read_video
from mict.train import train


def write_mp4(path, frames):
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for array in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")))
        container.mux(stream.encode())


@pytest.fixture(scope="module")
def trained(prepared_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("predict") / "run"
    config = make_config("quick", data=str(prepared_root), out=str(out), width=4, frames=8, crop_size=32,
                         base_size=36, batch_size=4, epochs=1)
    return train(config, progress=False)


def test_a_prepared_test_video_gets_the_probabilities_it_gets_in_testing(trained, prepared_root, official_root):
    """The same decoding, resize, crop and normalisation as a test video: the same probabilities."""
    dataset = ClipDataset(prepared_root, subset="test", frames=None, sampling="first", crop_size=32, base_size=36)
    video = dataset.videos["video"].iloc[0]
    expected = predict_probabilities(trained.load_model(), torch.utils.data.Subset(dataset, [0]), batch_size=1,
                                     progress=False)[0]
    prediction = predict_video(trained.load_model(), trained.classes, official_root / "UCF-101" / f"{video}.avi",
                               base_size=36, crop_size=32)
    np.testing.assert_allclose(prediction.probabilities, expected, rtol=1e-5, atol=1e-6)
    assert prediction.step_frames[0] == (0, 15)
    assert len(prediction.step_frames) == prediction.step_probabilities.shape[0]
    np.testing.assert_allclose(prediction.step_probabilities.sum(axis=1), 1, atol=1e-5)


def test_the_predict_command_prints_top_classes_and_steps_and_writes_csv(trained, tmp_path, capsys):
    config = SynthConfig(classes=("MoveLeft",), frames=(40, 40), width=80, height=60)
    video = tmp_path / "clip.mp4"  # another container, codec and frame size than the training data
    write_mp4(video, render_video(config, VideoSpec("MoveLeft", 1, 1, 40)))
    assert read_video(video, 36).shape == (40, 3, 36, 48)
    csv = tmp_path / "steps.csv"
    assert main(["predict", str(video), "--checkpoint", str(trained.best_checkpoint), "--top", "3",
                 "--csv", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "frames 0–39, 3 time steps" in out and "probability of each of these classes" in out
    assert sum(name in out for name in trained.classes) == 3
    table = pd.read_csv(csv, index_col="row")
    assert list(table.index) == ["step 0", "step 1", "step 2", "video"]
    assert list(table.columns) == ["first_frame", "last_frame", *trained.classes]
    np.testing.assert_allclose(table[trained.classes].sum(axis=1), 1, atol=1e-5)


@pytest.mark.parametrize("content, message", [(b"not a video at all" * 50, "is not a video PyAV can read"),
                                              (None, "video not found")])
def test_bad_video_files_get_a_clear_error(trained, tmp_path, capsys, content, message):
    video = tmp_path / "broken.avi"
    if content is not None:
        video.write_bytes(content)
    assert main(["predict", str(video), "--checkpoint", str(trained.best_checkpoint)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
