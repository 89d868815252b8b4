"""Measuring preparation: frames/s of `mict prepare` against the ffmpeg command line."""

import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from ..data import prepare_dataset
from ..data.synth import MOTION_CLASSES, SynthConfig, generate_dataset
from ..data.ucf101 import find_videos


def ucf_like_videos(out: str | Path, classes: int = 4, groups: int = 21, clips: int = 1, seed: int = 0) -> Path:
    """A small synthetic dataset with UCF-101's frame size (320×240) and layout, for benchmarks."""
    config = SynthConfig(classes=MOTION_CLASSES[:classes], groups=groups, clips_per_group=(clips, clips),
                         frames=(100, 200), width=320, height=240, seed=seed)
    generate_dataset(out, config, progress=False)
    return Path(out)


def prepare_throughput(root: str | Path, *, workers: int = 2, size: tuple[int, int] = (256, 192),
                       ffmpeg: str = "ffmpeg") -> pd.DataFrame:
    """Frames/s of `prepare_dataset` against the ffmpeg command line run once per video.

    The original ran `ffmpeg -i video.avi frames/%04d.jpg` for one video after another;
    the table also runs ffmpeg with the same resize and quality as ours, `workers` at a time.
    """
    if shutil.which(ffmpeg) is None:
        raise FileNotFoundError(f"{ffmpeg} is not installed; the comparison needs the ffmpeg command line "
                                f"(Debian: apt-get install ffmpeg)")
    videos = list(find_videos(root).values())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, target in ((f"mict prepare, {size[0]}×{size[1]}", size), ("mict prepare, original size", None)):
            out = Path(tmp) / f"mict-{len(rows)}"
            report = prepare_dataset(root, out, size=target, workers=workers, progress=False)
            rows.append({"method": label, "workers": workers, "frames": report.frames, "seconds": report.seconds})

        def run_ffmpeg(job):
            video, out, extra = job
            out.mkdir(parents=True)
            subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-i", str(video), *extra, str(out / "%05d.jpg")],
                           check=True)
            return len(list(out.iterdir()))

        like_ours = ["-vf", f"scale={size[0]}:{size[1]}:flags=area", "-q:v", "3"]
        for label, extra, parallel in (("ffmpeg per video, original size (as the original)", [], 1),
                                       (f"ffmpeg per video, {size[0]}×{size[1]}", like_ours, workers)):
            base = Path(tmp) / f"ffmpeg-{len(rows)}"
            jobs = [(v, base / v.parent.name / v.stem, extra) for v in videos]
            start = time.perf_counter()
            with ThreadPoolExecutor(parallel) as pool:
                frames = sum(pool.map(run_ffmpeg, jobs))
            rows.append({"method": label, "workers": parallel, "frames": frames,
                         "seconds": time.perf_counter() - start})
    table = pd.DataFrame(rows)
    table["frames_per_s"] = table["frames"] / table["seconds"]
    table.attrs["input"] = f"{len(videos)} videos under {root}"
    return table
