import os
import warnings

import pytest
import torch

# Tests run on the CPU with a fixed number of threads, so that results are repeatable.
torch.set_num_threads(min(2, os.cpu_count() or 1))
warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")


def pytest_collection_modifyitems(config, items):
    """Unit tests first, the slow course execution last: failures show up early."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is not None)


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch):
    """No test may reach the network: any download attempt fails loudly, as offline."""
    from urllib.error import URLError

    def refuse(*args, **kwargs):
        raise URLError("downloads are disabled in tests")

    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)


# --- A tiny UCF-101 in the official layout, quirks included --------------------------------------
# Classes as classInd lists them (case-insensitive order; Python's sorted() would swap the
# first two), the HandstandPushups folder holding v_HandStandPushups_* files, CRLF lists,
# test lists without labels, and broken videos. Videos come from the synthetic renderer.
OFFICIAL_CLASSES = ("Hammering", "HammerThrow", "HandstandPushups")
FILE_PREFIX = {"HandstandPushups": "HandStandPushups"}
BROKEN = {  # video → how it is broken
    "Hammering/v_Hammering_g03_c02": "corrupt",
    "HammerThrow/v_HammerThrow_g05_c02": "truncated",
    "HandstandPushups/v_HandStandPushups_g09_c02": "empty",
}
MISSING = "HammerThrow/v_HammerThrow_g10_c02"  # listed, no file
UNLISTED = "Hammering/v_Hammering_g30_c01"  # file, in no list


def official_video_name(class_name: str, group: int, clip: int) -> str:
    return f"{class_name}/v_{FILE_PREFIX.get(class_name, class_name)}_g{group:02d}_c{clip:02d}"


def build_official_layout(root, groups=21):
    from mict.data.synth import SynthConfig, VideoSpec, render_video, write_avi

    config = SynthConfig(classes=("MoveLeft", "MoveRight", "ZoomIn"), frames=(16, 20), width=64, height=48)
    motion_of = dict(zip(OFFICIAL_CLASSES, config.classes, strict=True))
    videos = {}
    for label, class_name in enumerate(OFFICIAL_CLASSES):
        for group in range(1, groups + 1):
            for clip in (1, 2):
                name = official_video_name(class_name, group, clip)
                spec = VideoSpec(motion_of[class_name], group, clip, 16 + (group + clip) % 5)
                path = root / "UCF-101" / f"{name}.avi"
                path.parent.mkdir(parents=True, exist_ok=True)
                write_avi(path, render_video(config, spec))
                videos[name] = (label, group)
    for name, how in BROKEN.items():
        path = root / "UCF-101" / f"{name}.avi"
        if how == "corrupt":
            path.write_bytes(b"RIFF\x00\x00\x00\x00AVI LIST" + bytes(range(256)) * 8)
        elif how == "truncated":
            path.write_bytes(path.read_bytes()[:600])
        else:
            path.write_bytes(b"")
    (root / "UCF-101" / f"{MISSING}.avi").unlink()
    extra = root / "UCF-101" / f"{UNLISTED}.avi"
    write_avi(extra, render_video(config, VideoSpec("MoveLeft", 3, 1, 16)))
    lists = root / "ucfTrainTestlist"
    lists.mkdir()
    crlf = lambda lines: "".join(f"{line}\r\n" for line in lines).encode()
    (lists / "classInd.txt").write_bytes(crlf(f"{i + 1} {c}" for i, c in enumerate(OFFICIAL_CLASSES)))
    for split in (1, 2, 3):
        tested = range(7 * split - 6, 7 * split + 1)
        train = [f"{v}.avi {label + 1}" for v, (label, g) in videos.items() if g not in tested]
        test = [f"{v}.avi" for v, (label, g) in videos.items() if g in tested]
        (lists / f"trainlist{split:02d}.txt").write_bytes(crlf(train))
        (lists / f"testlist{split:02d}.txt").write_bytes(crlf(test))
    return videos


@pytest.fixture(scope="session")
def official_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("ucf101")
    build_official_layout(root)
    return root


@pytest.fixture(scope="session")
def prepared_root(official_root, tmp_path_factory):
    from mict.data import prepare_dataset

    out = tmp_path_factory.mktemp("prepared")
    prepare_dataset(official_root, out, size=(48, 36), workers=2, progress=False)
    return out
