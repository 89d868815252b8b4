"""The numbers each notebook reports, and the bands CI holds them to.

A band is checked strictly when the course runs under `mict course` or the tests
(MICT_STRICT_BANDS=1): a result outside it fails the notebook. A student who changes a
parameter (a seed, a length) and moves a result out of its band gets a note instead.
"""

import json
import os

from mict.atomic import atomic_path

from .settings import NOTEBOOKS, results_dir

STRICT_BANDS_VARIABLE = "MICT_STRICT_BANDS"

#: The bands CI holds the quick profile's results to, as (low, high): exact for facts of the
#: architecture; for trained models, the spread of the shipped seeds (data/sweeps) with a margin
#: for another CPU family. README.md ("What CI checks") lists the measurements.
BANDS: dict[tuple[str, str], tuple[float, float]] = {
    # 01: the dataset, and what a random split leaks (nearest neighbour on one frame)
    ("01_data_preparation", "synthetic_videos"): (1141, 1141),
    ("01_data_preparation", "random_split_nn_top1"): (55, 90),
    ("01_data_preparation", "group_split_nn_top1"): (0, 30),
    # 02: the data loader's fast path makes the clips of torchvision's ops, to the last bit
    ("02_augmentation", "apply_vs_steps_max_gap"): (0, 0),
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
    ("03_architecture", "r3d_vs_resnet3d_of_matmul_ratio"): (1.0, 20),
    ("03_architecture", "inflation_max_relative_gap_unreached"): (0, 1e-4),
    ("03_architecture", "frame_vs_mict_flops_ratio"): (1.15, 1.20),
    ("03_architecture", "mict18_stem_3d_flops_share"): (53, 54),
    ("03_architecture", "mict18_k3_gflops"): (17.5, 17.55),
    ("03_architecture", "fresh_mict_distance_without_3d"): (0, 1e-4),
    ("03_architecture", "fresh_mict_distance_layer4"): (0.5, 10),
    # 04: the headline: MiCT learns the motions, a frame model cannot
    ("04_training", "mict_test_top1"): (75, 100),
    ("04_training", "frame_test_top1"): (0, 45),
    ("04_training", "temporal_gain_points"): (30, 100),
    ("04_training", "mict2d_test_top1"): (0, 45),
    ("04_training", "three_d_gain_points"): (30, 100),
    ("04_training", "frame_vs_mict_flops_ratio"): (1.15, 1.20),
    # 05: every 3D model learns the motions; MiCT runs faster than 3D-ResNet on a CPU
    ("05_kernel_size_ablation", "mict_k3_test_top1"): (80, 100),
    ("05_kernel_size_ablation", "mict_k5_test_top1"): (75, 100),
    ("05_kernel_size_ablation", "mict_k7_test_top1"): (75, 100),
    ("05_kernel_size_ablation", "resnet3d_test_top1"): (70, 100),
    ("05_kernel_size_ablation", "frame_test_top1"): (0, 45),
    ("05_kernel_size_ablation", "mict_2d_test_top1"): (0, 45),
    ("05_kernel_size_ablation", "mict_k3_mean_top1"): (80, 100),
    ("05_kernel_size_ablation", "mict_k5_mean_top1"): (80, 100),
    ("05_kernel_size_ablation", "mict_k7_mean_top1"): (75, 100),
    ("05_kernel_size_ablation", "resnet3d_mean_top1"): (70, 100),
    ("05_kernel_size_ablation", "frame_mean_top1"): (0, 45),
    ("05_kernel_size_ablation", "mict_2d_mean_top1"): (0, 45),
    # ... and the paired intervals say so: MiCT beats both networks that cannot see motion
    ("05_kernel_size_ablation", "mict_k7_minus_frame_low"): (20, 100),
    ("05_kernel_size_ablation", "mict_k7_minus_mict_2d_low"): (20, 100),
    ("05_kernel_size_ablation", "mict_k7_vs_resnet3d_cpu_fps_ratio"): (1.0, 20),
    ("05_kernel_size_ablation", "mict_k3_vs_k7_gflops_ratio"): (0.69, 0.70),
    # 06: whole videos score at least as well as their first 16 frames
    ("06_clip_length_ablation", "v1_clips_top1_16"): (75, 100),
    ("06_clip_length_ablation", "v1_clips_top1_longest"): (85, 100),
    ("06_clip_length_ablation", "v1_long_top1_longest"): (50, 100),
    ("06_clip_length_ablation", "v2_clips_top1_16"): (35, 100),
    ("06_clip_length_ablation", "v2_clips_top1_longest"): (40, 100),
    ("06_clip_length_ablation", "v2_long_top1_longest"): (40, 100),
    ("06_clip_length_ablation", "v1_clips_mean_top1_100"): (85, 100),
    ("06_clip_length_ablation", "v2_clips_mean_top1_100"): (40, 100),
    ("06_clip_length_ablation", "v1_long_mean_top1_100"): (40, 100),
    ("06_clip_length_ablation", "v2_long_mean_top1_100"): (40, 100),
    # 07: the 3D branches carry what MiCT knows, and frame order matters to it
    ("07_inside_mict", "all_branches_top1"): (75, 100),
    ("07_inside_mict", "no_branch_top1"): (0, 50),
    ("07_inside_mict", "reversed_top1"): (0, 60),
    ("07_inside_mict", "shuffled_top1"): (0, 70),
    ("07_inside_mict", "frame_train_minus_val_points"): (10, 100),
}


class OutsideBandError(AssertionError):
    """A result of the quick profile left its band while the bands are checked strictly."""


def strict_bands() -> bool:
    return os.environ.get(STRICT_BANDS_VARIABLE, "0") == "1"


class Results:
    """Numbers a notebook reports; in the quick profile each is held to its band in BANDS."""

    def __init__(self, notebook: str, profile: str = "quick"):
        if notebook not in NOTEBOOKS:
            raise ValueError(f"unknown notebook {notebook!r}")
        self.notebook, self.profile = notebook, profile
        self.path = results_dir() / f"{notebook}.json"
        self.values: dict = {}

    def record(self, name: str, value: float) -> float:
        """Store `value`; check it against the quick profile's band for it (see the module docstring)."""
        value = float(value)
        self.values[name] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.path) as tmp:
            tmp.write_text(json.dumps({"profile": self.profile, "values": self.values}, indent=2) + "\n")
        band = BANDS.get((self.notebook, name))
        if self.profile == "quick" and band is not None and not band[0] <= value <= band[1]:
            message = (f"{self.notebook}: {name} = {value:.2f} is outside its band [{band[0]}, {band[1]}] "
                       f"(mict.course.BANDS)")
            if strict_bands():
                raise OutsideBandError(message)
            print(f"note: {message}. The bands describe the course's default parameters; with yours, a "
                  f"different number is expected.")
        return value


def load_results(notebook: str) -> dict:
    path = results_dir() / f"{notebook}.json"
    return json.loads(path.read_text())["values"] if path.is_file() else {}
