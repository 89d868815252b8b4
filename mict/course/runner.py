"""The runner behind `mict course`: every notebook executed headlessly, in order.

Notebooks are executed from their py:percent sources (the source of truth) into
build/notebooks/, never in place, with their parameters injected after the cell tagged
`parameters`, as papermill does. Trained models come from the run cache (`mict.runs`),
so a rerun, or another notebook that needs the same model, reuses them. The bands are
checked strictly (`mict.course.results`).
"""

import os
import re
import time
from pathlib import Path

import pandas as pd

from mict import paths
from mict.errors import ConfigError

from .results import STRICT_BANDS_VARIABLE
from .settings import NOTEBOOKS, notebooks_dir


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
        raise ConfigError(f"--only {only} matches no notebook; the notebooks are {', '.join(NOTEBOOKS)}")
    out_dir = paths.build_dir() / "notebooks"
    parameters = {"PROFILE": profile, "RETRAIN": retrain, "FIGURES_ONLY": figures_only}
    os.environ["MICT_PROGRESS"] = "0"  # the kernels inherit it: no frozen progress bars in executed notebooks
    os.environ[STRICT_BANDS_VARIABLE] = "1"
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


ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def _last_line(text: str) -> str:
    """The error's last line, without the terminal colours IPython's tracebacks carry."""
    lines = [line for line in ANSI_COLOUR.sub("", text).strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else text[:300]


def format_course_table(table: pd.DataFrame) -> str:
    shown = table[["notebook", "status", "seconds"]].copy()
    shown["time"] = shown.pop("seconds").map(lambda s: f"{int(s // 60)}:{int(s % 60):02d}")
    total = table.attrs.get("total_seconds", table["seconds"].sum())
    return shown.to_string(index=False) + f"\ntotal {int(total // 60)}:{int(total % 60):02d}"
