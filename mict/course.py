"""The course: its settings per profile, the results it checks, and the runner behind `mict course`.

Notebooks are executed headlessly from their py:percent sources (the source of truth)
into build/notebooks/, never in place. Trained models are cached in build/runs/ keyed
by their whole configuration, so a rerun, or another notebook that needs the same
model, reuses them.
"""

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import paths
from .atomic import atomic_path
from .config import TrainConfig, frame_size_for, make_config

NOTEBOOKS = (
    "01_data_preparation",
    "02_augmentation",
    "03_architecture",
    "04_training",
    "05_kernel_size_ablation",
    "06_clip_length_ablation",
)

#: The bands CI holds the quick profile's results to, as (low, high). Chosen from measured
#: runs with a safety margin; see README.md ("What CI checks") for the measurements.
BANDS: dict[tuple[str, str], tuple[float, float]] = {
    # 01: the dataset, and what a random split leaks (nearest neighbour on one frame)
    ("01_data_preparation", "synthetic_videos"): (1141, 1141),
    ("01_data_preparation", "random_split_nn_top1"): (55, 90),
    ("01_data_preparation", "group_split_nn_top1"): (0, 30),
    # 03: exact architecture facts, and costs that hold on any CPU
    ("03_architecture", "mict18_v1_steps_T16"): (1, 1),
    ("03_architecture", "mict18_v1_steps_T33"): (3, 3),
    ("03_architecture", "mict18_v2_steps_T16"): (4, 4),
    ("03_architecture", "mict18_v2_steps_T33"): (9, 9),
    ("03_architecture", "mict18_params"): (16_051_685, 16_051_685),
    ("03_architecture", "mict34_params"): (26_159_845, 26_159_845),
    ("03_architecture", "resnet3d18_params"): (33_255_717, 33_255_717),
    ("03_architecture", "mict18_k3_params"): (16_014_053, 16_014_053),
    ("03_architecture", "mict18_k5_params"): (16_032_869, 16_032_869),
    ("03_architecture", "resnet3d_vs_mict_flops_ratio"): (1.30, 1.36),
    ("03_architecture", "mict_vs_3d_fps_ratio"): (1.0, 20),
    ("03_architecture", "inflation_max_relative_gap_unreached"): (0, 1e-4),
    # 04: the headline: MiCT learns the motions, a frame model cannot
    ("04_training", "mict_test_top1"): (85, 100),
    ("04_training", "frame_test_top1"): (0, 45),
    ("04_training", "temporal_gain_points"): (30, 100),
    # 05: every 3D model learns the motions; MiCT runs faster than 3D-ResNet on a CPU
    ("05_kernel_size_ablation", "mict_k3_test_top1"): (80, 100),
    ("05_kernel_size_ablation", "mict_k5_test_top1"): (80, 100),
    ("05_kernel_size_ablation", "mict_k7_test_top1"): (85, 100),
    ("05_kernel_size_ablation", "resnet3d_test_top1"): (70, 100),
    ("05_kernel_size_ablation", "frame_test_top1"): (0, 45),
    ("05_kernel_size_ablation", "mict_k7_vs_resnet3d_cpu_fps_ratio"): (1.0, 20),
    # 06: whole videos score at least as well as their first 16 frames
    ("06_clip_length_ablation", "v1_clips_top1_16"): (85, 100),
    ("06_clip_length_ablation", "v1_clips_top1_longest"): (85, 100),
    ("06_clip_length_ablation", "v1_long_top1_longest"): (50, 100),
    ("06_clip_length_ablation", "v2_clips_top1_16"): (65, 100),
    ("06_clip_length_ablation", "v2_clips_top1_longest"): (75, 100),
    ("06_clip_length_ablation", "v2_long_top1_longest"): (65, 100),
}


def notebooks_dir() -> Path:
    if paths.REPO_ROOT is None:
        raise FileNotFoundError("the notebooks ship with the repository; run the course from a checkout")
    return paths.REPO_ROOT / "notebooks"


def figures_dir() -> Path:
    return Path(os.environ.get("MICT_FIGURES", (paths.REPO_ROOT or Path.cwd()) / "figures"))


def results_dir() -> Path:
    return paths.build_dir() / "results"


# --- Settings per profile -----------------------------------------------------------------------

@dataclass(frozen=True)
class CourseSettings:
    """What a notebook needs to know about its profile."""

    profile: str
    data_root: Path  # the prepared dataset
    raw_root: Path  # UCF-101's distribution, or where the synthetic one is generated
    retrain: bool = False
    figures_only: bool = False

    def train_config(self, **overrides) -> TrainConfig:
        return make_config(self.profile, data=str(self.data_root), **overrides)

    @property
    def base_size(self) -> int:
        return self.train_config().base_size

    @property
    def crop_size(self) -> int:
        return self.train_config().crop_size

    @property
    def prepare_size(self) -> tuple[int, int]:
        """The frame size `mict prepare` stores: the size the networks crop from."""
        return frame_size_for(self.base_size)


def settings(profile: str = "quick", *, retrain: bool = False, figures_only: bool = False) -> CourseSettings:
    """The course's settings for a profile: 'quick' (synthetic, CPU) or 'full' (UCF-101, GPU)."""
    if profile == "quick":
        return CourseSettings("quick", paths.synthetic_prepared_dir(), paths.synthetic_raw_dir(), retrain,
                              figures_only)
    if profile == "full":
        ucf = paths.data_dir() / "ucf101"
        return CourseSettings("full", ucf / "prepared", ucf, retrain, figures_only)
    raise ValueError(f"profile must be 'quick' or 'full', got {profile!r}")


def get_run(config: TrainConfig, course: CourseSettings):
    """A trained run of `config`: from the cache in build/runs, or trained now.

    With `figures_only` the course never trains: a missing run is an error that names it.
    """
    from .train import is_complete, train_or_load

    if course.figures_only and not is_complete(config.run_dir()):
        raise RuntimeError(f"--figures-only uses cached runs only, and {config.run_dir()} is not trained yet; "
                           f"run `mict course` without --figures-only first")
    return train_or_load(config, retrain=course.retrain)


# --- Results and their bands ----------------------------------------------------------------------

class Results:
    """Numbers a notebook reports; in the quick profile each is held to its band in BANDS."""

    def __init__(self, notebook: str, profile: str = "quick"):
        if notebook not in NOTEBOOKS:
            raise ValueError(f"unknown notebook {notebook!r}")
        self.notebook, self.profile = notebook, profile
        self.path = results_dir() / f"{notebook}.json"
        self.values: dict = {}

    def record(self, name: str, value: float) -> float:
        """Store `value`; raise if the quick profile's band for it is missed."""
        value = float(value)
        self.values[name] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.path) as tmp:
            tmp.write_text(json.dumps({"profile": self.profile, "values": self.values}, indent=2) + "\n")
        band = BANDS.get((self.notebook, name))
        if self.profile == "quick" and band is not None and not band[0] <= value <= band[1]:
            raise AssertionError(f"{self.notebook}: {name} = {value:.2f} is outside its band "
                                 f"[{band[0]}, {band[1]}] (mict.course.BANDS)")
        return value


def load_results(notebook: str) -> dict:
    path = results_dir() / f"{notebook}.json"
    return json.loads(path.read_text())["values"] if path.is_file() else {}


# --- Executing notebooks --------------------------------------------------------------------------

def load_notebook(name: str):
    """A notebook from its py:percent source (the source of truth)."""
    import jupytext

    return jupytext.read(notebooks_dir() / f"{name}.py")


def inject_parameters(notebook, parameters: dict) -> None:
    """Add a cell after the one tagged `parameters` that overrides its values (papermill's convention)."""
    import nbformat

    index = next((i for i, cell in enumerate(notebook.cells)
                  if "parameters" in cell.get("metadata", {}).get("tags", [])), None)
    if index is None:
        raise ValueError("the notebook has no cell tagged 'parameters'")
    source = "# Parameters injected by `mict course`\n" + "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    notebook.cells.insert(index + 1, cell)


def execute_notebook(name: str, parameters: dict, out_dir: Path, timeout: int = 3600) -> Path:
    """Execute one notebook into out_dir/<name>.ipynb; the executed copy is written even on failure."""
    import nbformat
    from nbclient import NotebookClient

    notebook = load_notebook(name)
    inject_parameters(notebook, parameters)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.ipynb"
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(out_dir)}},
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])  # no transport warnings
    try:
        client.execute()
    finally:
        nbformat.write(notebook, target)
    return target


def run_course(profile: str = "quick", *, only: list[str] | None = None, figures_only: bool = False,
               retrain: bool = False, progress: bool = True) -> pd.DataFrame:
    """Execute the notebooks in order; one row per notebook: status, wall time, executed copy."""
    from nbclient.exceptions import CellExecutionError

    selected = [n for n in NOTEBOOKS if not only or any(n.startswith(o) for o in only)]
    if only and not selected:
        raise ValueError(f"--only {only} matches no notebook; the notebooks are {', '.join(NOTEBOOKS)}")
    out_dir = paths.build_dir() / "notebooks"
    parameters = {"PROFILE": profile, "RETRAIN": retrain, "FIGURES_ONLY": figures_only}
    os.environ["MICT_PROGRESS"] = "0"  # the kernels inherit it: no frozen progress bars in executed notebooks
    rows = []
    for name in selected:
        if progress:
            print(f"running {name} …", flush=True)
        start = time.perf_counter()
        status, error = "ok", ""
        try:
            execute_notebook(name, parameters, out_dir)
        except CellExecutionError as exc:
            status, error = "failed", _last_line(str(exc))
        except Exception as exc:  # noqa: BLE001 - a broken notebook must not stop the others
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - start
        rows.append({"notebook": name, "status": status, "seconds": round(seconds, 1),
                     "executed": str(out_dir / f"{name}.ipynb"), "error": error})
        if progress:
            print(f"  {status} in {seconds:.0f}s" + (f": {error}" if error else ""), flush=True)
        retrain = False  # a model retrained once is not retrained again by the next notebook
        parameters["RETRAIN"] = False
    table = pd.DataFrame(rows)
    table.attrs["total_seconds"] = float(table["seconds"].sum())
    return table


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else text[:300]


def format_course_table(table: pd.DataFrame) -> str:
    shown = table[["notebook", "status", "seconds"]].copy()
    shown["time"] = shown.pop("seconds").map(lambda s: f"{int(s // 60)}:{int(s % 60):02d}")
    total = table.attrs.get("total_seconds", table["seconds"].sum())
    return shown.to_string(index=False) + f"\ntotal {int(total // 60)}:{int(total % 60):02d}"
