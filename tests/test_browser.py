"""The course in a browser: every notebook opened in JupyterLab, run, and its widgets used.

It runs after the headless course run (`executed_course`) and reuses its cached models, so it
adds minutes, not a second course. JupyterLab serves copies of the notebooks from build/lab/,
so that running (and autosaving) one never rewrites the checkout; screenshots go to
build/screenshots/. Chromium comes from `make chromium` (see tests/browser.py).
"""

import json
import time
from pathlib import Path

import pytest
from browser import JupyterLab, chromium, copy_notebooks, figure_widget_cells, run_notebook_in_lab, tell

from mict import paths
from mict.course import NOTEBOOKS, figures_dir, notebooks_dir

pytestmark = pytest.mark.slow
TIMINGS: list[dict] = []


def screenshots_dir() -> Path:
    return paths.build_dir() / "screenshots"


def checkout_state() -> dict:
    """Every file of the checkout that a notebook run in JupyterLab could rewrite: path → (size, mtime)."""
    folders = [notebooks_dir()]
    checkout_figures = notebooks_dir().parent / "figures"
    if checkout_figures.resolve() != figures_dir().resolve():
        folders.append(checkout_figures)
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for folder in folders for p in folder.rglob("*")
            if p.is_file()}


@pytest.fixture(scope="module")
def lab(executed_course, tmp_path_factory, pytestconfig):
    """JupyterLab on copies of the notebooks, and Chromium; both stopped at the end, also on failure."""
    before = checkout_state()
    root = copy_notebooks(NOTEBOOKS, notebooks_dir(), paths.build_dir() / "lab")
    screenshots_dir().mkdir(parents=True, exist_ok=True)
    server = JupyterLab(root, tmp_path_factory.mktemp("jupyterlab"))
    started = time.perf_counter()
    try:
        server.start()
        with chromium() as browser:
            yield server, browser, before
    finally:
        server.stop()
        _report(pytestconfig, time.perf_counter() - started)


def _report(pytestconfig, total_s: float) -> None:
    """The time the browser test adds, per notebook, in the terminal and in build/screenshots/."""
    (screenshots_dir() / "lab-timings.json").write_text(json.dumps({"total_s": round(total_s, 1),
                                                                     "notebooks": TIMINGS}, indent=2))
    lines = [f"  {t['notebook']:<26} {t['total_s']:6.1f} s  (Run All {t['run_s']:.1f} s)"
             + (f", progress bars in cells {t['progress_bar_cells']}" if t["progress_bar_cells"] else "")
             for t in TIMINGS]
    tell(pytestconfig, f"browser test: {total_s:.0f} s in all, JupyterLab and Chromium included", *lines)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(lab, executed_course, name):
    server, browser, _ = lab
    table, _ = executed_course
    headless = table[table["notebook"] == name].iloc[0]
    if headless["status"] != "ok":
        pytest.fail(f"{name} failed in the headless run ({headless['error']}); not run in the browser")
    if not (server.root / f"{name}.ipynb").is_file():
        pytest.fail(f"notebooks/{name}.ipynb does not exist: pair it with jupytext --sync notebooks/{name}.py")
    executed = Path(headless["executed"])
    TIMINGS.append(run_notebook_in_lab(server, browser, name, figure_widget_cells(executed), screenshots_dir()))


def test_running_the_notebooks_left_the_checkout_alone(lab):
    _, _, before = lab
    after = checkout_state()
    changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    assert not changed, f"running the notebooks in JupyterLab changed the checkout: {changed}"
