"""The notebooks: jupytext pairs in sync and free of outputs; executed, they reach their bands."""

import json
from pathlib import Path

import jupytext
import pytest

from mict.course import NOTEBOOKS, notebooks_dir

SOURCES = sorted(notebooks_dir().glob("[0-9][0-9]_*.py"))


def _cells(notebook):
    return [(cell.cell_type, cell.source.strip(), tuple(cell.get("metadata", {}).get("tags", [])))
            for cell in notebook.cells]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_pair_is_in_sync_and_has_no_outputs(source: Path):
    paired = source.with_suffix(".ipynb")
    assert paired.is_file(), f"{source.name} has no paired .ipynb: run jupytext --sync {source}"
    assert _cells(jupytext.read(source)) == _cells(jupytext.read(paired)), (
        f"{paired.name} is out of sync with {source.name}: run jupytext --sync {source}")
    raw = json.loads(paired.read_text())
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, (
                f"{paired.name} holds outputs: clear them (jupytext --sync {source} rewrites it without)")


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_first_code_cell_holds_the_parameters(source: Path):
    code = [cell for cell in jupytext.read(source).cells if cell.cell_type == "code"]
    assert "parameters" in code[0].get("metadata", {}).get("tags", [])
    assert 'PROFILE = "quick"' in code[0].source


def test_every_notebook_of_the_course_exists():
    assert [p.stem for p in SOURCES] == list(NOTEBOOKS)
