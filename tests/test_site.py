"""The course website (`make site`, mict/course/site.py).

Unit tests of how a notebook becomes a page, then (slow, after the course run) the built site
checked in headless Chromium, served over HTTP as GitHub Pages would serve it: every page loads
with no console error or failed request, no internal link or image is broken, every figure a
notebook saves is on its page (the very bytes of figures/<name>.png), solutions are collapsed.
Full-page screenshots go to build/screenshots/site/.
"""

import json
import time

import pytest
from browser import chromium, crawl, site_path, static_server, tell
from test_notebooks import EXPECTED_FIGURES

from mict import paths
from mict.course import BANDS, NOTEBOOKS, figures_dir
from mict.course.site import SiteError, build_site, rewrite_links, site_notebook, summary

# --- How a notebook becomes a page (fast) -----------------------------------------------------------


def _code(source, outputs=(), tags=()):
    return {"cell_type": "code", "source": source, "metadata": {"tags": list(tags)}, "outputs": list(outputs),
            "execution_count": 1}


def _result(text):
    return {"output_type": "execute_result", "data": {"text/plain": text}, "metadata": {}, "execution_count": 1}


def _image():
    return {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}, "metadata": {}}


def _notebook(*cells):
    return {"cells": list(cells), "metadata": {"widgets": {"state": {}}}, "nbformat": 4, "nbformat_minor": 5}


def test_a_saved_figure_is_shown_from_figures_and_its_inline_copy_dropped(tmp_path):
    (tmp_path / "02_plot.png").write_bytes(b"png")
    page = site_notebook(_notebook(_code("save_figure(fig)", [_result("saved figures/02_plot.png"), _image()])),
                         "02_x", tmp_path)
    (output,) = page["cells"][0]["outputs"]
    assert "![02_plot](../figures/02_plot.png)" in output["data"]["text/markdown"]


def test_a_figure_saved_without_a_note_is_found_by_its_name_in_the_source(tmp_path):
    (tmp_path / "02_flip.png").write_bytes(b"png")
    cell = _code('if quick:\n    save_figure(fig, "02_flip")\nprint("done")', [_image()])
    (output,) = site_notebook(_notebook(cell), "02_x", tmp_path)["cells"][0]["outputs"]
    assert "![02_flip](../figures/02_flip.png)" in output["data"]["text/markdown"]


def test_a_cell_that_shows_an_unsaved_figure_keeps_it(tmp_path):
    cell = _code("plt.plot()", [_image()])
    assert site_notebook(_notebook(cell), "02_x", tmp_path)["cells"][0]["outputs"] == [_image()]


def test_solutions_are_collapsed_widgets_replaced_and_injected_parameters_dropped(tmp_path):
    widget = {"output_type": "display_data", "metadata": {},
              "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "1"}, "text/plain": "VBox()"}}
    page = site_notebook(_notebook(_code("PROFILE = 'quick'", tags=["injected-parameters"]),
                                   _code("def f(): ...", tags=["solution"]), _code("display(w)", [widget])),
                         "02_x", tmp_path)
    solution, shown = page["cells"]
    assert "hide-cell" in solution["metadata"]["tags"]
    assert "widget-view" not in json.dumps(shown) and "widgets" not in page["metadata"]


def test_a_notebook_that_ended_in_an_error_is_not_published(tmp_path):
    error = {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": []}
    with pytest.raises(SiteError, match="02_x, cell 0, ended in ValueError"):
        site_notebook(_notebook(_code("raise ValueError('bad')", [error])), "02_x", tmp_path)


def test_repository_links_become_site_links():
    text = rewrite_links("[02](notebooks/02_augmentation.py), [refs](data/reference/README.md), "
                         "[speed](PERFORMANCE.md), [sweeps](SWEEPS.md), [code](mict/models/), "
                         "[web](https://example.org), ![f](figures/a.png)")
    assert text == ("[02](notebooks/02_augmentation.ipynb), [refs](reference.md), [speed](performance.md), "
                    "[sweeps](sweeps.md), "
                    "code (`mict/models/`), [web](https://example.org), ![f](figures/a.png)")


def test_without_an_executed_course_make_site_says_to_run_make_course(tmp_path, monkeypatch):
    monkeypatch.setenv("MICT_BUILD", str(tmp_path))
    with pytest.raises(SiteError, match="run `make course` first"):
        build_site()


# --- The built site in Chromium (after the course run) --------------------------------------------

# Per page: each solution cell's <details> (open or not) and whether its code is visible.
SOLUTIONS = """() => [...document.querySelectorAll('.cell.tag_solution')].map(cell => {
  const details = cell.querySelector('details');
  const code = cell.querySelector('.cell_input');
  return {collapsed: !!details && !details.open, codeVisible: !!code && code.checkVisibility()};
})"""


@pytest.fixture(scope="module")
def site(executed_course, pytestconfig):
    start = time.perf_counter()
    index = build_site()
    first = time.perf_counter() - start
    start = time.perf_counter()
    build_site()  # as `make site` again after `make course`: only what changed is rebuilt
    again = time.perf_counter() - start
    tell(pytestconfig, f"site: built in {first:.0f} s, rebuilt in {again:.0f} s: {summary(index)}")
    return index.parent


@pytest.fixture(scope="module")
def pages(site):
    with static_server(site) as base, chromium() as browser:
        crawled = crawl(browser, base, paths.build_dir() / "screenshots" / "site", inspect=SOLUTIONS)
    return base, crawled


def _page(crawled, path):
    assert path in crawled, f"{path} is not reachable from index.html (reached: {sorted(crawled)})"
    return crawled[path]


@pytest.mark.slow
def test_every_page_loads_without_errors(pages):
    _, crawled = pages
    assert len(crawled) >= len(NOTEBOOKS) + 3, f"only {sorted(crawled)} reached from index.html"
    failed = {path: page.errors for path, page in crawled.items() if page.errors}
    assert not failed, "pages with errors:\n" + "\n".join(f"{p}: {e}" for p, e in failed.items())


@pytest.mark.slow
def test_no_internal_link_or_image_is_broken(pages, site):
    base, crawled = pages
    broken = []
    for path, page in crawled.items():
        for link in page.links:
            target = site_path(link, base)
            fragment = link.split("#", 1)[1] if "#" in link else ""
            if target is None:
                continue
            if not (site / target).is_file():
                broken.append(f"{path}: link to {target}, which does not exist")
            elif fragment and target in crawled and fragment not in crawled[target].ids:
                broken.append(f"{path}: link to {target}#{fragment}, which has no such anchor")
        broken += [f"{path}: image {image['src']} did not load" for image in page.images if not image["width"]]
    assert not broken, "\n".join(broken)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_saved_figure_is_on_its_notebook_page(pages, site, name):
    base, crawled = pages
    path = f"notebooks/{name}.html"
    images = {image["alt"]: image for image in _page(crawled, path).images}
    for figure in EXPECTED_FIGURES.get(name, []):
        assert figure in images, f"{path} does not show {figure} (it shows {sorted(images)})"
        shown = site / site_path(images[figure]["src"], base)
        assert shown.read_bytes() == (figures_dir() / f"{figure}.png").read_bytes(), (
            f"{path} shows {shown.name}, which is not figures/{figure}.png")


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solutions_are_collapsed(pages, name):
    _, crawled = pages
    executed = json.loads((paths.build_dir() / "notebooks" / f"{name}.ipynb").read_text())
    expected = sum("solution" in cell.get("metadata", {}).get("tags", []) for cell in executed["cells"])
    solutions = _page(crawled, f"notebooks/{name}.html").extra
    assert len(solutions) == expected, f"{name}: {len(solutions)} solution cells on its page, {expected} in it"
    shown = [i for i, s in enumerate(solutions) if not s["collapsed"] or s["codeVisible"]]
    assert not shown, f"{name}: solutions {shown} are not collapsed"


@pytest.mark.slow
def test_no_page_shows_a_widget_as_text(pages):
    _, crawled = pages
    shown = [path for path, page in crawled.items() if "VBox(children=" in page.text]
    assert not shown, f"widgets shown as their text repr on {shown}"


@pytest.mark.slow
def test_the_results_page_shows_every_band(pages):
    _, crawled = pages
    text = _page(crawled, "results.html").text
    missing = [name for _, name in BANDS if name not in text]
    assert not missing, f"results.html lacks {missing}"
    assert "not recorded" not in text, "results.html has results the course did not record"


@pytest.mark.slow
def test_the_landing_and_running_pages(pages):
    base, crawled = pages
    linked = {site_path(link, base) for link in _page(crawled, "index.html").links}
    assert {f"notebooks/{name}.html" for name in NOTEBOOKS} <= linked, "index.html does not link every notebook"
    running = _page(crawled, "running.html").text
    for command in ("make course", "make lab", "make site", "mict train --profile full"):
        assert command in running, f"running.html does not say `{command}`"
    assert "performance.html" in linked, "index.html does not link the speed measurements"
    assert "mict bench-train --steps 40" in _page(crawled, "performance.html").text
    assert "sweeps.html" in linked, "index.html does not link the shipped sweeps' account"
    assert "Why ten seeds for five arms" in _page(crawled, "sweeps.html").text
