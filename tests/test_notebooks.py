"""The notebooks: jupytext pairs in sync and free of outputs; executed, they reach their bands."""

import json
from pathlib import Path

import jupytext
import pytest

from mict.course import BANDS, NOTEBOOKS, figures_dir, load_results, notebooks_dir
from mict.paths import REPO_ROOT

SOURCES = sorted(notebooks_dir().glob("[0-9][0-9]_*.py"))


def _cells(notebook):
    return [(cell.cell_type, cell.source.strip(), tuple(cell.get("metadata", {}).get("tags", [])))
            for cell in notebook.cells]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_pair_is_in_sync_and_has_no_outputs(source: Path):
    paired = source.with_suffix(".ipynb")
    assert paired.is_file(), f"{source.name} has no paired .ipynb: run `python -m mict.course.pairing`"
    assert _cells(jupytext.read(source)) == _cells(jupytext.read(paired)), (
        f"{paired.name} is out of sync with {source.name}: run `python -m mict.course.pairing`")
    raw = json.loads(paired.read_text())
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, (
                f"{paired.name} holds outputs: `python -m mict.course.pairing` rewrites it without")


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_the_notebook_opens_in_jupyterlab_without_asking_for_a_kernel(source: Path):
    metadata = json.loads(source.with_suffix(".ipynb").read_text())["metadata"]
    assert metadata.get("kernelspec", {}).get("name") == "python3", (
        f"{source.stem}.ipynb has no kernelspec: run `python -m mict.course.pairing`")
    assert metadata["jupytext"]["formats"] == "ipynb,py:percent"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_first_code_cell_holds_the_parameters(source: Path):
    code = [cell for cell in jupytext.read(source).cells if cell.cell_type == "code"]
    assert "parameters" in code[0].get("metadata", {}).get("tags", [])
    assert 'PROFILE = "quick"' in code[0].source


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_solutions_never_overwrite_the_students_functions(source: Path):
    """A solution cell defines its own names: running it must not replace what the student wrote."""
    import ast

    defined_by_students, cells = set(), jupytext.read(source).cells
    for cell in cells:
        if cell.cell_type != "code":
            continue
        names = {node.name for node in ast.walk(ast.parse(cell.source)) if isinstance(node, ast.FunctionDef)}
        if "solution" in cell.get("metadata", {}).get("tags", []):
            assert not names & defined_by_students, f"{source.stem}: a solution redefines {names & defined_by_students}"
        else:
            defined_by_students |= names


def test_every_notebook_of_the_course_exists():
    assert [p.stem for p in SOURCES] == list(NOTEBOOKS)


# --- The course, executed: what `make test` runs after the unit tests ----------------------------

EXPECTED_FIGURES = {
    "01_data_preparation": ["01_split_sizes", "01_clips_per_group", "01_video_lengths", "01_sample_frames",
                            "01_frame_differences", "01_random_split_leak"],
    "02_augmentation": ["02_temporal_sampling", "02_downsampling_speed", "02_augmentation_steps",
                        "02_crop_positions", "02_colour_jitter", "02_flip_changes_the_label",
                        "02_consistent_vs_per_frame", "02_test_preprocessing", "02_widget_default"],
    "03_architecture": ["03_conv2d_vs_conv3d", "03_fold_time", "03_mict_block", "03_time_alignment",
                        "03_temporal_lengths", "03_model_costs", "03_kernel_costs", "03_inflation",
                        "03_widget_default"],
    "04_training": ["04_learning_curves", "04_prediction_gallery", "04_learning_curves_frame_vs_mict",
                    "04_per_class_accuracy", "04_confusion_matrices"],
    "07_inside_mict": ["07_branch_ablation", "07_branch_norms", "07_first_kernels", "07_frame_order",
                       "07_confusions", "07_frame_resnet_memorises", "07_widget_default"],
    "05_kernel_size_ablation": ["05_accuracy", "05_differences", "05_speed_classes", "05_speed_accuracy",
                                "05_original", "05_costs"],
    "06_clip_length_ablation": ["06_clip_length", "06_original_clip_length"],
}


def test_every_committed_figure_has_a_notebook_that_draws_it():
    committed = {p.stem for p in (REPO_ROOT / "figures").glob("*.png")}
    expected = {name for names in EXPECTED_FIGURES.values() for name in names}
    assert committed == expected, (f"figures without an owner: {sorted(committed - expected)}; "
                                   f"figures not committed (run `make course`): {sorted(expected - committed)}")


@pytest.mark.slow
def test_every_notebook_runs(executed_course):
    table, _ = executed_course
    failed = table[table["status"] != "ok"]
    assert failed.empty, "\n".join(f"{r.notebook}: {r.error} (see {r.executed})" for r in failed.itertuples())


@pytest.mark.slow
def test_every_figure_is_written(executed_course):
    _, started = executed_course
    assert not figures_dir().resolve().is_relative_to(REPO_ROOT), "the tests must not rewrite the checkout's figures"
    expected = {name for names in EXPECTED_FIGURES.values() for name in names}
    for name in sorted(expected):
        path = figures_dir() / f"{name}.png"
        assert path.is_file(), f"{path} was not written"
        assert path.stat().st_mtime >= started - 1, f"{path} is stale: the course did not rewrite it"
    written = {p.stem for p in figures_dir().glob("*.png")}
    assert written == expected, f"figures without an owner: {sorted(written - expected)}"


@pytest.mark.slow
def test_results_are_within_their_bands(executed_course):
    for (notebook, name), (low, high) in BANDS.items():
        values = load_results(notebook)
        assert name in values, f"{notebook} did not record {name}"
        assert low <= values[name] <= high, f"{notebook}: {name} = {values[name]} outside [{low}, {high}]"
