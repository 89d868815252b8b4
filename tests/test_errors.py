"""Bad input gets a clear error that says what, where and how to fix it; bugs keep their traceback."""

import os
import shutil

import pytest
import torch

from mict import runtime
from mict.cli import main
from mict.config import make_config
from mict.data import ClipDataset, CorruptFrameError, prepare_dataset, read_frames
from mict.data.prepare import frames_decode
from mict.errors import CheckpointError, ConfigError
from mict.models import get_model, read_checkpoint
from mict.train import train


class Evil:
    def __reduce__(self):
        return (os.system, ("echo this would run",))


@pytest.mark.parametrize("content", [bytes(range(256)) * 8, b"PK\x03\x04" + bytes(300), b"\x80\x02garbage" * 9,
                                     b"not a model"])
def test_a_file_that_is_not_a_checkpoint_gets_a_one_line_error(tmp_path, capsys, content):
    path = tmp_path / "random.pt"
    path.write_bytes(content)
    assert main(["test", "--checkpoint", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"mict test: error: {path} is not a" in err and "PyTorch checkpoint" in err and "Traceback" not in err


def test_a_pickle_that_would_run_code_is_refused_with_a_reason(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save({"model": Evil()}, path)
    assert main(["test", "--checkpoint", str(path)]) == 2
    assert "holds Python objects other than weights" in capsys.readouterr().err
    with pytest.raises(CheckpointError, match="refusing to load"):
        read_checkpoint(path)


@pytest.mark.parametrize("content, message", [(b"", "is not a readable PyTorch checkpoint"),
                                              (None, "checkpoint not found")])
def test_empty_and_missing_checkpoints(tmp_path, capsys, content, message):
    path = tmp_path / "x.pt"
    if content is not None:
        path.write_bytes(content)
    assert main(["test", "--checkpoint", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_frames_too_small_for_the_networks_get_a_one_line_error(capsys):
    assert main(["speed", "--model", "frame_resnet18", "--width", "8", "--frames", "2", "--size", "16",
                 "--runs", "1", "--warmup", "0", "--no-memory"]) == 2
    err = capsys.readouterr().err
    assert "mict speed: error: frames of 16×16 are too small" in err and "at least 32" in err
    assert "Traceback" not in err
    with pytest.raises(ValueError, match="too small"):  # a library caller still gets a ValueError
        get_model("frame_resnet18", width=8, num_classes=3)(torch.zeros(1, 3, 2, 16, 16))


def test_a_training_crop_too_small_for_the_networks_is_refused_before_training(capsys):
    with pytest.raises(ConfigError, match="crop_size must be at least 32, got 16"):
        make_config("quick", crop_size=16)
    assert main(["train", "--crop-size", "16"]) == 2
    assert "crop_size must be at least 32, got 16" in capsys.readouterr().err


def test_a_bug_is_not_dressed_up_as_a_user_error(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    monkeypatch.setattr("mict.bench.benchmark_models", broken)
    with pytest.raises(RuntimeError, match="illegal memory access"):
        main(["speed", "--model", "mict_resnet18"])


def corrupt_a_frame(prepared_root, tmp_path, every_frame=False, decoded_copy=False):
    """A copy of the prepared dataset in which one training video is broken: frame 2 (or every frame) of
    its JPEGs, with its decoded copy removed, or (`decoded_copy`) its frames.npy."""
    root = tmp_path / "prepared"
    shutil.copytree(prepared_root, root)
    dataset = ClipDataset(root, subset="train", frames=4, crop_size=32, base_size=36)
    folder = dataset._folders[0]
    if decoded_copy:
        (folder / "frames.npy").write_bytes(b"\x93NUMPY truncated")
        return root, dataset, folder
    (folder / "frames.npy").unlink()
    for frame in sorted(folder.glob("*.jpg")) if every_frame else [folder / "00002.jpg"]:
        frame.write_bytes(b"this is not a JPEG file" * 10)
    return root, dataset, folder


@pytest.mark.parametrize("decoded_copy, broken", [(False, "frame 00002.jpg"), (True, "frames.npy")])
def test_a_corrupt_frame_is_named_with_the_command_that_repairs_it(prepared_root, official_root, tmp_path,
                                                                  decoded_copy, broken):
    root, dataset, folder = corrupt_a_frame(prepared_root, tmp_path, decoded_copy=decoded_copy)
    video = f"{folder.parent.name}/{folder.name}"
    with pytest.raises(CorruptFrameError) as caught:
        read_frames(folder, [0, 1, 2])
    message = str(caught.value)
    assert f"{broken} of video {video} does not decode" in message
    assert f"mict prepare --root {official_root.resolve()} --out {root} --size 48x36 --verify" in message
    assert not frames_decode(folder, 3)
    if decoded_copy:  # a dataset reads every decoded copy when it is made
        with pytest.raises(CorruptFrameError, match=f"{broken} of video {video} does not decode"):
            ClipDataset(root, subset="train", frames=4, crop_size=32, base_size=36)

    report = prepare_dataset(official_root, root, size=(48, 36), verify=True, workers=1, progress=False)
    assert report.repaired == [video] and report.prepared == 1
    assert frames_decode(folder, int(dataset._n_frames[0])) and (folder / "frames.npy").is_file()
    assert read_frames(folder, [0, 1, 2]).shape[0] == 3


def test_training_on_a_corrupt_frame_stops_after_saving_and_resumes_once_repaired(prepared_root, official_root,
                                                                                 tmp_path):
    root, _, _ = corrupt_a_frame(prepared_root, tmp_path, every_frame=True)
    config = make_config("quick", data=str(root), out=str(tmp_path / "run"), width=4, frames=4, crop_size=32,
                         base_size=36, batch_size=4, epochs=1, max_step=1)
    with pytest.raises(CorruptFrameError, match=r"(?s)does not decode.*saved .*interrupted\.pt.*--resume"):
        train(config, progress=False)
    assert (tmp_path / "run" / "interrupted.pt").is_file()
    assert main(["prepare", "--root", str(official_root), "--out", str(root), "--size", "48x36", "--verify",
                 "--workers", "1"]) == 0
    result = train(config, resume=True, progress=False)
    assert list(result.history["epoch"]) == [1] and not (tmp_path / "run" / "interrupted.pt").exists()


def test_gpus_without_bfloat16_evaluate_in_float16_as_they_train(monkeypatch):
    cuda = torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: False)
    assert runtime.autocast_dtype("auto", cuda) == (torch.float16, True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    assert runtime.autocast_dtype("auto", cuda) == (torch.bfloat16, False)
    assert runtime.autocast_dtype("fp16", cuda) == (torch.float16, True)


def test_evaluation_uses_the_training_precision_policy(monkeypatch):
    import mict.evaluate

    calls = []

    def recording(device, amp="auto"):
        calls.append((device.type, amp))
        return runtime.autocast(device, amp)

    monkeypatch.setattr(mict.evaluate, "autocast", recording)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(3))
    mict.evaluate.softmax_of(model, torch.randn(2, 3, 2, 4, 4), torch.device("cpu"), "off")
    assert calls == [("cpu", "off")]
