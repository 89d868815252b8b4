import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import pytest
import torch

# Tests run on the CPU with a fixed number of threads, so that results are repeatable.
torch.set_num_threads(min(2, os.cpu_count() or 1))
warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")

# Nothing a test writes lands in the checkout: generated data, runs, executed notebooks and
# figures go to a temporary folder (set MICT_DATA, MICT_BUILD or MICT_FIGURES to keep them), and
# the bands are checked strictly, as under `mict course`.
OUTPUT = Path(tempfile.mkdtemp(prefix="mict-tests-"))
for variable, folder in (("MICT_DATA", "data"), ("MICT_BUILD", "build"), ("MICT_FIGURES", "figures")):
    os.environ.setdefault(variable, str(OUTPUT / folder))
os.environ["MICT_STRICT_BANDS"] = "1"


#: The executed course's table (notebook, status, time), once the session has run it.
COURSE_TIMES: list[str] = []


def pytest_terminal_summary(terminalreporter):
    """Every run of the slow tests reports what the course took from scratch, notebook by notebook."""
    if COURSE_TIMES:
        terminalreporter.write_sep("=", "the course from scratch (data, training, notebooks)")
        terminalreporter.write_line(COURSE_TIMES[0])


def pytest_sessionfinish(session, exitstatus):
    if exitstatus == 0:
        shutil.rmtree(OUTPUT, ignore_errors=True)
    else:
        print(f"\ntest outputs (executed notebooks, runs, figures) kept in {OUTPUT}")


#: The slow tests' order: the course and its checks, then what reuses the executed course.
SLOW_ORDER = ("test_notebooks.py", "test_browser.py", "test_site.py")


def pytest_collection_modifyitems(config, items):
    """Unit tests first, then the slow ones: the course's own checks before the browser and site tests
    that reuse it, so that a broken notebook shows up as itself."""
    def order(item):
        if item.get_closest_marker("slow") is None:
            return (0, 0)
        name = item.path.name
        return (1, SLOW_ORDER.index(name) if name in SLOW_ORDER else len(SLOW_ORDER))

    items.sort(key=order)


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


# --- The course, executed once per session (notebook checks and browser tests reuse it) --------

@pytest.fixture(scope="session")
def executed_course():
    """Run the whole course once, in the quick profile, as `make course` does: (table, start time).

    Data, runs, executed notebooks and figures go to this session's temporary folders, so the
    checkout is never touched and every model is trained by the code under test."""
    from mict import paths
    from mict.course import format_course_table, run_course

    started = time.time()
    table = run_course("quick")
    COURSE_TIMES.append(format_course_table(table))
    (paths.build_dir() / "course-times.txt").write_text(COURSE_TIMES[-1] + "\n")
    return table, started
