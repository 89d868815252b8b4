"""The course layer's own machinery: bands, parameter injection, the runner's table, --figures-only."""

import json

import jupytext
import nbformat
import pytest

from mict.course import BANDS, FiguresOnlyError, OutsideBandError, Results, get_run, inject_parameters, runner, settings
from mict.course.results import STRICT_BANDS_VARIABLE, load_results


def test_a_result_inside_its_band_is_recorded():
    (notebook, name), (low, high) = next(iter(BANDS.items()))
    results = Results(notebook)
    results.record(name, low)
    assert load_results(notebook)[name] == low
    assert json.loads(results.path.read_text())["profile"] == "quick"


def test_a_result_outside_its_band_fails_under_the_course_and_the_tests(monkeypatch):
    monkeypatch.setenv(STRICT_BANDS_VARIABLE, "1")
    with pytest.raises(OutsideBandError, match=r"04_training: mict_test_top1 = 12.00 is outside its band \[75, 100\]"):
        Results("04_training").record("mict_test_top1", 12.0)
    assert load_results("04_training")["mict_test_top1"] == 12.0  # recorded before the check, to look at


def test_a_student_outside_a_band_gets_a_note_not_a_crash(monkeypatch, capsys):
    monkeypatch.setenv(STRICT_BANDS_VARIABLE, "0")
    assert Results("04_training").record("mict_test_top1", 12.0) == 12.0
    assert "note: 04_training: mict_test_top1 = 12.00 is outside its band" in capsys.readouterr().out


def test_the_full_profile_and_unbanded_names_are_never_held_to_a_band(monkeypatch):
    monkeypatch.setenv(STRICT_BANDS_VARIABLE, "1")
    assert Results("04_training", "full").record("mict_test_top1", 12.0) == 12.0
    assert Results("04_training").record("something_new", -5) == -5


def test_unknown_notebooks_are_refused():
    with pytest.raises(ValueError, match="unknown notebook"):
        Results("07_nothing")


def test_parameters_are_injected_after_the_parameters_cell():
    notebook = jupytext.reads("# %% tags=['parameters']\nSEED = 0\n\n# %%\nprint(SEED)\n", fmt="py:percent")
    inject_parameters(notebook, {"SEED": 3, "PROFILE": "full"})
    sources = [cell.source for cell in notebook.cells]
    assert sources[1] == "# Parameters injected by `mict course`\nSEED = 3\nPROFILE = 'full'"
    assert notebook.cells[1].metadata["tags"] == ["injected-parameters"]
    with pytest.raises(ValueError, match="no cell tagged 'parameters'"):
        inject_parameters(jupytext.reads("# %%\nx = 1\n", fmt="py:percent"), {})


def test_a_failing_notebook_is_captured_in_the_table_and_the_next_still_runs(tmp_path, monkeypatch):
    notebooks = {"01_fails": "raise RuntimeError('the cell broke')", "02_runs": "print(PROFILE)"}
    for name, code in notebooks.items():
        source = f"# %% tags=['parameters']\nPROFILE = 'quick'\nRETRAIN = False\nFIGURES_ONLY = False\n\n# %%\n{code}\n"
        (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.setattr(runner, "notebooks_dir", lambda: tmp_path)
    monkeypatch.setattr(runner, "NOTEBOOKS", tuple(notebooks))
    table = runner.run_course("quick", progress=False)
    assert list(table["status"]) == ["failed", "ok"]
    assert "RuntimeError: the cell broke" in table["error"].iloc[0]
    executed = nbformat.read(table["executed"].iloc[1], as_version=4)
    assert executed.cells[-1].outputs[0]["text"] == "quick\n"
    assert "total" in runner.format_course_table(table)
    with pytest.raises(ValueError, match="matches no notebook"):
        runner.run_course("quick", only=["09"], progress=False)


def test_figures_only_refuses_to_train_and_says_what_to_run(tmp_path):
    course = settings("quick", figures_only=True)
    config = course.train_config(out=str(tmp_path / "never-trained"))
    with pytest.raises(FiguresOnlyError, match=r"--figures-only uses cached runs only: .*never-trained.* without "
                                               r"--figures-only first"):
        get_run(config, course)
    assert not (tmp_path / "never-trained").exists()
