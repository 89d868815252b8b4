"""`mict prepare`: decode UCF-101 (or the synthetic set) into JPEG frames and a manifest.

    OUT/frames/<Class>/<v_Class_gGG_cCC>/00001.jpg …   one folder per video
                                        frames.npy      small frames only: the JPEGs, decoded
    OUT/manifest.csv                                    one row per prepared video
    OUT/failures.csv                                    videos that could not be decoded
    OUT/prepare.json                                    where the videos came from, and the size

Frames are resized once, here, to the base size the networks crop from (256×192 for
UCF-101), so no epoch pays for decoding 320×240 frames and resizing them again. Small
frames (the course's 72×54) are also stored decoded, as one uint8 array per video: the
same pixels the JPEGs decode to, read without decoding them again on every epoch. UCF-101's
frames stay JPEG only, as its decoded frames would not fit in memory.

Robust by construction: videos are prepared in a process pool, each into a temporary
folder renamed into place when complete, so a rerun skips finished videos and redoes
partial ones; a corrupt or empty video is reported and skipped, never fatal. With
`verify`, finished videos are decoded again frame by frame and any whose frames do not
all decode (a disk error, a truncated copy) is prepared again.
"""

import csv
import json
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch
from torchcodec.decoders import decode_jpeg
from tqdm.auto import tqdm

from .. import paths
from ..atomic import atomic_path
from ..errors import ConfigError
from ..progress import show_progress
from .ucf101 import CLASS_INDEX, SPLITS, VIDEO_DIR, SplitListError, SplitLists, VideoName, find_videos

FRAMES_DIR = "frames"
MANIFEST = "manifest.csv"
FAILURES = "failures.csv"
META = "meta.json"
SOURCE = "prepare.json"
DECODED = "frames.npy"
#: Frames of at most this many pixels are also stored decoded (`frames.npy`).
DECODED_MAX_PIXELS = 128 * 96
FRAME_RATE_UNKNOWN = 25  # the encoder needs a time base; JPEG files do not store it
MANIFEST_COLUMNS = [
    "video", "class_name", "label", "group", "clip", "n_frames", "fps", "width", "height",
    "source_width", "source_height", "frames_dir", *(f"split{k}" for k in SPLITS),
]


@dataclass
class PrepareReport:
    """What a preparation run did; `summary()` is what `mict prepare` prints."""

    out: Path
    prepared: int = 0  # videos decoded in this run
    skipped: int = 0  # videos already complete from an earlier run
    repaired: list[str] = field(default_factory=list)  # complete videos whose frames did not decode, redone
    frames: int = 0  # frames written in this run
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (video, error)
    missing: list[str] = field(default_factory=list)  # listed, but no video file
    unlisted: list[str] = field(default_factory=list)  # video file in no list

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        lines = [
            f"prepared {self.prepared} videos ({self.frames} frames, {self.frames_per_second:.0f} frames/s), "
            f"skipped {self.skipped} already complete → {self.out / MANIFEST}",
        ]
        if self.repaired:
            lines.append(f"{len(self.repaired)} had frames that did not decode and were prepared again:\n  "
                         + "\n  ".join(self.repaired[:10]))
        for title, items in (
            (f"failed to decode (see {self.out / FAILURES})", [f"{v}: {e}" for v, e in self.failures]),
            ("listed in the split files but missing on disk", self.missing),
            ("on disk but in no split list (ignored)", self.unlisted),
        ):
            if items:
                shown = items[:10] + ([f"… and {len(items) - 10} more"] if len(items) > 10 else [])
                lines.append(f"{len(items)} {title}:\n  " + "\n  ".join(shown))
        return "\n".join(lines)


def parse_size(text: str | None) -> tuple[int, int] | None:
    """'256x192' → (256, 192) (width × height); 'original' or None keeps the source size."""
    if text is None or str(text).lower() in ("original", "none", "0"):
        return None
    if isinstance(text, tuple):
        return text
    try:
        width, height = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise ConfigError(f"size must look like 256x192 (width x height) or 'original', got {text!r}") from None
    if width < 32 or height < 32:
        raise ConfigError(f"size {width}x{height} is too small: frames must be at least 32x32")
    return width, height


def _jpeg_encoder(width: int, height: int) -> av.CodecContext:
    """FFmpeg's MJPEG encoder (what `ffmpeg -i video.avi %05d.jpg` uses), in process.

    Frames go from the video's YUV to the JPEG's YUV with one swscale pass; a detour
    through RGB and PIL's encoder costs about 2.5 times more per frame.
    """
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuvj420p"
    encoder.time_base = Fraction(1, FRAME_RATE_UNKNOWN)
    return encoder


def prepare_video(source: Path, target: Path, size: tuple[int, int] | None) -> dict:
    """Decode one video into target/00001.jpg …, atomically; return its metadata.

    Raises on a corrupt, truncated or empty video; the partial folder is removed.
    """
    partial = target.with_name(f".{target.name}.partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        with av.open(str(source)) as container:
            if not container.streams.video:
                raise ValueError("no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            fps = float(stream.average_rate or stream.guessed_rate or 0)
            n, encoder = 0, None
            for frame in container.decode(stream):
                if encoder is None:
                    source_size = (frame.width, frame.height)
                    width, height = size or source_size
                    encoder = _jpeg_encoder(width, height)
                jpeg = frame.reformat(width=width, height=height, format="yuvj420p", interpolation="AREA")
                n += 1
                (partial / f"{n:05d}.jpg").write_bytes(b"".join(bytes(p) for p in encoder.encode(jpeg)))
        if n == 0:
            raise ValueError("no frames could be decoded (empty video)")
        decoded = width * height <= DECODED_MAX_PIXELS
        if decoded:
            np.save(partial / DECODED, decode_jpeg_frames(partial, n))
        meta = {"n_frames": n, "fps": fps, "width": width, "height": height,
                "source_width": source_size[0], "source_height": source_size[1], "decoded": decoded}
        (partial / META).write_text(json.dumps(meta))
        if target.exists():
            shutil.rmtree(target)
        os.replace(partial, target)
        return meta
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def frame_paths(folder: Path, n_frames: int) -> list[str]:
    return [str(folder / f"{i:05d}.jpg") for i in range(1, n_frames + 1)]


def decode_jpeg_frames(folder: Path, n_frames: int) -> np.ndarray:
    """A prepared video's JPEG frames, decoded: n_frames×H×W×3 uint8 (what `read_frames` returns)."""
    return torch.stack([frame.permute(1, 2, 0) for frame in decode_jpeg(frame_paths(folder, n_frames))]).numpy()


def frames_decode(folder: Path, n_frames: int) -> bool:
    """Whether all `n_frames` JPEG frames of a prepared video are there and decode, and its decoded
    copy, if it has one, holds exactly their pixels."""
    try:
        pixels = decode_jpeg_frames(folder, n_frames)
        stored = folder / DECODED
        return not stored.exists() or np.array_equal(np.load(stored), pixels)
    except (RuntimeError, OSError, ValueError):
        return False


def _prepare_job(job: tuple[str, str, str, tuple[int, int] | None, bool]) -> tuple[str, dict | None, str | None, bool]:
    """(video, metadata, error, repaired). With `verify`, the video is complete already: it is
    prepared again only if its frames do not all decode."""
    video, source, target, size, verify = job
    if verify:
        meta = _read_meta(Path(target))
        if frames_decode(Path(target), meta["n_frames"]):
            return video, meta, None, False
    try:
        return video, prepare_video(Path(source), Path(target), size), None, verify
    except Exception as error:  # noqa: BLE001 - every decoding error is reported, none is fatal
        return video, None, f"{type(error).__name__}: {error}", False


def reprepare_command(out: Path) -> str:
    """The `mict prepare --verify` command that repairs the prepared dataset `out`."""
    try:
        source = json.loads((Path(out) / SOURCE).read_text())
        root, size = source["root"], source["size"]
    except (OSError, ValueError, KeyError):
        root, size = "<the folder holding UCF-101/ and ucfTrainTestlist/>", None
    size_flag = f" --size {size[0]}x{size[1]}" if size else " --size original"
    return f"mict prepare --root {root} --out {out}{size_flag} --verify"


def _read_meta(folder: Path) -> dict | None:
    try:
        return json.loads((folder / META).read_text())
    except (OSError, ValueError):
        return None


def _write_csv_atomically(path: Path, columns: list[str], rows: list[dict]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def find_split_lists(root: Path) -> SplitLists:
    """ROOT's split lists; for a UCF-101 download without them, the official ones shipped in
    data/ucf101-splits."""
    try:
        return SplitLists.find(root)
    except SplitListError:
        shipped = paths.REPO_ROOT and paths.official_splits_dir()
        if not (root / VIDEO_DIR).is_dir() or not shipped or not (shipped / CLASS_INDEX).is_file():
            raise
        print(f"{root} holds {VIDEO_DIR}/ but no split lists: using UCF-101's official lists in {shipped}")
        return SplitLists.from_folder(shipped)


def prepare_dataset(
    root: str | Path,
    out: str | Path,
    *,
    size: tuple[int, int] | str | None = (256, 192),
    workers: int | None = None,
    verify: bool = False,
    progress: bool | None = None,
) -> PrepareReport:
    """Prepare every listed video under ROOT into OUT; see the module docstring for the layout."""
    root, out = Path(root), Path(out)
    size = parse_size(size) if not isinstance(size, tuple) else size
    lists = find_split_lists(root)
    classes = lists.classes()
    membership = {k: lists.split(k) for k in SPLITS}
    listed = sorted(set().union(*membership.values()))
    on_disk = find_videos(root)
    report = PrepareReport(out=out)
    report.missing = [v for v in listed if v not in on_disk]
    report.unlisted = sorted(set(on_disk) - set(listed))

    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / SOURCE) as tmp:
        tmp.write_text(json.dumps({"root": str(root.resolve()), "size": size}) + "\n")
    metas: dict[str, dict] = {}
    jobs = []
    for video in listed:
        if video not in on_disk:
            continue
        target = out / FRAMES_DIR / video
        meta = _read_meta(target)
        complete = (meta is not None and (size is None or (meta["width"], meta["height"]) == size)
                    and meta.get("decoded", False) == (meta["width"] * meta["height"] <= DECODED_MAX_PIXELS))
        if complete and not verify:
            metas[video] = meta
            report.skipped += 1
        else:
            jobs.append((video, str(on_disk[video]), str(target), size, complete))

    start = time.perf_counter()
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    bar = tqdm(total=len(jobs), desc="verifying and preparing videos" if verify else "preparing videos",
               unit="video", disable=not show_progress(progress))
    results = map(_prepare_job, jobs) if workers == 1 else None
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        if pool is not None:
            results = pool.map(_prepare_job, jobs, chunksize=4)
        for (video, *_, verified), (_, meta, error, repaired) in zip(jobs, results, strict=True):
            if error is not None:
                report.failures.append((video, error))
                continue
            metas[video] = meta
            if verified and not repaired:
                report.skipped += 1
                continue
            report.prepared += 1
            report.frames += meta["n_frames"]
            if repaired:
                report.repaired.append(video)
            bar.update()
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        report.seconds = time.perf_counter() - start
        _write_outputs(out, classes, membership, metas, report)
    return report


def _write_outputs(out, classes, membership, metas, report) -> None:
    """The manifest of every complete video and the failures file, both written atomically."""
    label_of = {name: i for i, name in enumerate(classes)}
    rows = []
    for video in sorted(metas, key=lambda v: (label_of[VideoName.parse(v).class_name], v)):
        name, meta = VideoName.parse(video), metas[video]
        rows.append({
            "video": video, "class_name": name.class_name, "label": label_of[name.class_name],
            "group": name.group, "clip": name.clip, **{k: meta[k] for k in
                                                       ("n_frames", "fps", "width", "height",
                                                        "source_width", "source_height")},
            "frames_dir": f"{FRAMES_DIR}/{video}",
            **{f"split{k}": membership[k].get(video, "") for k in SPLITS},
        })
    _write_csv_atomically(out / MANIFEST, MANIFEST_COLUMNS, rows)
    (out / "classes.txt").write_text("".join(f"{c}\n" for c in classes))
    _write_csv_atomically(out / FAILURES, ["video", "error"],
                          [{"video": v, "error": e} for v, e in report.failures])
