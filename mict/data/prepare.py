"""`mict prepare`: decode UCF-101 (or the synthetic set) into JPEG frames and a manifest.

    OUT/frames/<Class>/<v_Class_gGG_cCC>/00001.jpg …   one folder per video
    OUT/manifest.csv                                    one row per prepared video
    OUT/failures.csv                                    videos that could not be decoded

Frames are resized once, here, to the base size the networks crop from (256×192 for
UCF-101), so no epoch pays for decoding 320×240 frames and resizing them again.

Robust by construction: videos are prepared in a process pool, each into a temporary
folder renamed into place when complete, so a rerun skips finished videos and redoes
partial ones; a corrupt or empty video is reported and skipped, never fatal.
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
from tqdm.auto import tqdm

from ..atomic import atomic_path
from ..progress import show_progress
from .ucf101 import SPLITS, SplitLists, VideoName, find_videos

FRAMES_DIR = "frames"
MANIFEST = "manifest.csv"
FAILURES = "failures.csv"
META = "meta.json"
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
        raise ValueError(f"size must look like 256x192 (width x height) or 'original', got {text!r}") from None
    if width < 32 or height < 32:
        raise ValueError(f"size {width}x{height} is too small: frames must be at least 32x32")
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
        meta = {"n_frames": n, "fps": fps, "width": width, "height": height,
                "source_width": source_size[0], "source_height": source_size[1]}
        (partial / META).write_text(json.dumps(meta))
        if target.exists():
            shutil.rmtree(target)
        os.replace(partial, target)
        return meta
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _prepare_job(job: tuple[str, str, str, tuple[int, int] | None]) -> tuple[str, dict | None, str | None]:
    video, source, target, size = job
    try:
        return video, prepare_video(Path(source), Path(target), size), None
    except Exception as error:  # noqa: BLE001 - every decoding error is reported, none is fatal
        return video, None, f"{type(error).__name__}: {error}"


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


def prepare_dataset(
    root: str | Path,
    out: str | Path,
    *,
    size: tuple[int, int] | str | None = (256, 192),
    workers: int | None = None,
    progress: bool | None = None,
) -> PrepareReport:
    """Prepare every listed video under ROOT into OUT; see the module docstring for the layout."""
    root, out = Path(root), Path(out)
    size = parse_size(size) if not isinstance(size, tuple) else size
    lists = SplitLists.find(root)
    classes = lists.classes()
    membership = {k: lists.split(k) for k in SPLITS}
    listed = sorted(set().union(*membership.values()))
    on_disk = find_videos(root)
    report = PrepareReport(out=out)
    report.missing = [v for v in listed if v not in on_disk]
    report.unlisted = sorted(set(on_disk) - set(listed))

    out.mkdir(parents=True, exist_ok=True)
    metas: dict[str, dict] = {}
    jobs = []
    for video in listed:
        if video not in on_disk:
            continue
        target = out / FRAMES_DIR / video
        meta = _read_meta(target)
        if meta is not None and (size is None or (meta["width"], meta["height"]) == size):
            metas[video] = meta
            report.skipped += 1
        else:
            jobs.append((video, str(on_disk[video]), str(target), size))

    start = time.perf_counter()
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    bar = tqdm(total=len(jobs), desc="preparing videos", unit="video", disable=not show_progress(progress))
    results = map(_prepare_job, jobs) if workers == 1 else None
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        if pool is not None:
            results = pool.map(_prepare_job, jobs, chunksize=4)
        for video, meta, error in results:
            if error is None:
                metas[video] = meta
                report.prepared += 1
                report.frames += meta["n_frames"]
            else:
                report.failures.append((video, error))
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
