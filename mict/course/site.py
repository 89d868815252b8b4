"""The course website (`make site`): static HTML built by Sphinx and myst-nb from the executed course.

Nothing is executed here. The sources are staged in build/site-src/ from what `mict course` left
behind (build/notebooks/, build/results/, figures/) and the README, then rendered with the
configuration in site/conf.py into build/site/:

* a landing page from the README, a page on running the course yourself (README sections too);
* a page per executed notebook: solutions collapsed, the injected-parameters cell dropped, each
  figure a cell saves shown from figures/ (the very file the course wrote), widgets replaced by a
  note (their default state is a saved figure just below);
* the recorded results against their CI bands (`mict.course.BANDS`);
* a page from each Markdown file of `EXTRA_PAGES`: the notebooks' conventions, the original's
  reference figures, the shipped sweeps' account, the speed measurements.

Only changed files are rewritten, so Sphinx rebuilds only what changed.
"""

import argparse
import copy
import json
import re
import shutil
import sys
import time
import warnings
from pathlib import Path

from .. import paths
from ..errors import MictError
from .results import BANDS, load_results
from .settings import NOTEBOOKS, figures_dir

#: README sections (by their `## ` title) that make the page on running the course yourself;
#: "What CI checks" goes to the results page; every other section stays on the landing page.
RUNNING_SECTIONS = ("Two commands", "UCF-101 on a GPU", "The course website")
RESULTS_SECTION = "What CI checks"
#: Repository files that become pages of their own, and where.
EXTRA_PAGES = {"notebooks/README.md": "conventions.md", "data/reference/README.md": "reference.md",
               "PERFORMANCE.md": "performance.md", "SWEEPS.md": "sweeps.md"}

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
SAVED_FIGURE = re.compile(r"^saved \S+/([\w.-]+)\.png$")
QUOTED = re.compile(r"[\"']([\w.-]+)[\"']")
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
WIDGET_NOTE = ("*An interactive widget is here when the notebook runs in JupyterLab (`make lab`); "
               "its default state is the figure below.*")


class SiteError(MictError):
    """The site cannot be built from what is in build/ (the course has not run, or failed)."""


def site_dir() -> Path:
    return paths.build_dir() / "site"


def conf_dir() -> Path:
    if paths.REPO_ROOT is None:
        raise SiteError("the site is built from a checkout of the repository (site/conf.py)")
    return paths.REPO_ROOT / "site"


def build_site(out: Path | None = None, *, quiet: bool = True) -> Path:
    """Stage the sources and run Sphinx; the site's index.html. Warnings fail the build."""
    from sphinx.cmd.build import build_main

    out = Path(out) if out is not None else site_dir()
    conf, stage = conf_dir(), paths.build_dir() / "site-src"
    stage_sources(stage)
    arguments = ["-b", "html", "-c", str(conf), "-d", str(stage / ".doctrees"), "-W", "--keep-going",
                 str(stage), str(out)]
    with warnings.catch_warnings():  # the theme's and myst's notes on Sphinx APIs to come are not ours
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        status = build_main(arguments + (["-q"] if quiet else []))
    if status != 0:
        raise SiteError(f"Sphinx failed on the sources in {stage} (its warnings are above)")
    return out / "index.html"


# --- Staging --------------------------------------------------------------------------------------

def stage_sources(stage: Path) -> None:
    """Every source of the site under `stage`, from the executed course and the repository."""
    executed = paths.build_dir() / "notebooks"
    missing = [name for name in NOTEBOOKS if not (executed / f"{name}.ipynb").is_file()]
    if missing:
        which = "notebooks" if len(missing) == len(NOTEBOOKS) else f"notebook for {', '.join(missing)}"
        raise SiteError(f"no executed {which} in {executed}: run `make course` first")
    figures = figures_dir()
    sections = readme_sections((paths.REPO_ROOT / "README.md").read_text())
    title, intro = sections.pop(0)
    running = [sections.pop(_section_index(sections, name)) for name in RUNNING_SECTIONS]
    checks = sections.pop(_section_index(sections, RESULTS_SECTION))

    pages = {"index.md": landing_page(title, intro, sections),
             "running.md": "# Running it yourself\n\n" + "".join(f"## {t}\n{body}" for t, body in running),
             "results.md": results_page(checks[1])}
    for source, target in EXTRA_PAGES.items():
        pages[target] = rewrite_links((paths.REPO_ROOT / source).read_text())
    for target, text in pages.items():
        _write_if_changed(stage / target, text)
    for stale in (stage / "notebooks").glob("*.ipynb"):  # a page for every notebook of the course, no other
        if stale.stem not in NOTEBOOKS:
            stale.unlink()
    for name in NOTEBOOKS:
        notebook = json.loads((executed / f"{name}.ipynb").read_text())
        _write_if_changed(stage / "notebooks" / f"{name}.ipynb", json.dumps(site_notebook(notebook, name, figures)))
    for figure in sorted(figures.glob("*.png")):
        _copy_if_changed(figure, stage / "figures" / figure.name)


def readme_sections(text: str) -> list[tuple[str, str]]:
    """The README as (title, body) pairs at its `## ` headings; the first is (the `# ` title, the intro)."""
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    first = parts[0].strip().splitlines()
    sections = [(first[0].lstrip("# ").strip(), "\n".join(first[1:]) + "\n")]
    sections += [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts), 2)]
    return [(title, rewrite_links(body)) for title, body in sections]


def _section_index(sections: list[tuple[str, str]], title: str) -> int:
    for index, (name, _) in enumerate(sections):
        if name == title:
            return index
    raise SiteError(f"README.md has no section '## {title}', which the site needs (mict/course/site.py)")


def rewrite_links(markdown: str) -> str:
    """Repository links as site links: a notebook's .py to its page, staged READMEs to their pages;
    a link to any other file of the repository becomes its path as text (the site does not hold it)."""

    def rewrite(match: re.Match) -> str:
        bang, label, target = match.groups()
        if bang or re.match(r"^([a-z]+:|#)", target) or target.startswith("figures/"):
            return match.group(0)
        notebook = re.fullmatch(r"notebooks/(\d\d_\w+)\.(py|ipynb)", target)
        if notebook and notebook.group(1) in NOTEBOOKS:
            return f"[{label}](notebooks/{notebook.group(1)}.ipynb)"
        if target in EXTRA_PAGES:
            return f"[{label}]({EXTRA_PAGES[target]})"
        return label if label.strip("`") == target else f"{label} (`{target}`)"

    return LINK.sub(rewrite, markdown)


def landing_page(title: str, intro: str, sections: list[tuple[str, str]]) -> str:
    toctrees = [("The course", [f"notebooks/{name}" for name in NOTEBOOKS]),
                ("About", ["results", "running", "sweeps", "performance", "conventions", "reference"])]
    trees = "".join(f"```{{toctree}}\n:hidden:\n:caption: {caption}\n\n" + "\n".join(entries) + "\n```\n\n"
                    for caption, entries in toctrees)
    body = "".join(f"## {t}\n{text}" for t, text in sections)
    return f"# {title}\n{intro}\n{trees}{body}"


def results_page(checks: str) -> str:
    """The results this build recorded against their bands, then the README's account of the bands."""
    rows, others = [], []
    for notebook in NOTEBOOKS:
        values = load_results(notebook)
        link = f"[{notebook[:2]}](notebooks/{notebook}.ipynb)"
        for (owner, name), (low, high) in BANDS.items():
            if owner == notebook:
                value = values.get(name)
                shown = "not recorded" if value is None else _number(value)
                verdict = "✗" if value is None or not low <= value <= high else "✓"
                band = _number(low) if low == high else f"{_number(low)} – {_number(high)}"
                rows.append(f"| {link} | `{name}` | {band} | {shown} | {verdict} |")
        others += [f"| {link} | `{name}` | {_number(value)} |" for name, value in values.items()
                   if (notebook, name) not in BANDS]
    page = ["# Results and their CI bands", "",
            "Recorded by the notebooks this site was built from (`build/results/`), against the bands "
            "`make test` holds the quick profile to (`mict.course.BANDS`).", "",
            "| notebook | result | band | recorded | in band |", "| --- | --- | --- | --- | --- |", *rows, "",
            "## How the bands were chosen", checks]
    if others:
        page[-2:-2] = ["## Other recorded numbers", "", "| notebook | result | recorded |", "| --- | --- | --- |",
                       *others, ""]
    return "\n".join(page)


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return f"{value:.3g}"


# --- Notebooks ------------------------------------------------------------------------------------

def site_notebook(notebook: dict, name: str, figures: Path) -> dict:
    """An executed notebook as the site shows it (see the module docstring); raises if it failed."""
    notebook = copy.deepcopy(notebook)
    notebook["metadata"].pop("widgets", None)  # no widget state: nothing for a CDN script to render
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags:
            continue
        if "solution" in tags:
            cell["metadata"]["tags"] = [*tags, "hide-cell"]
            cell["metadata"]["mystnb"] = {"code_prompt_show": "Show the solution",
                                          "code_prompt_hide": "Hide the solution"}
        if cell["cell_type"] == "code":
            for output in cell.get("outputs", []):
                if output["output_type"] == "error":
                    raise SiteError(f"{name}, cell {index}, ended in {output['ename']}: {output['evalue']}. "
                                    f"Fix it and run `make course` again")
            cell["outputs"] = _site_outputs("".join(cell["source"]), cell.get("outputs", []), figures,
                                            f"{name}, cell {index}")
        cells.append(cell)
    notebook["cells"] = cells
    return notebook


def _site_outputs(source: str, outputs: list[dict], figures: Path, where: str) -> list[dict]:
    """Widgets become a note. The figures the cell saves (the names of figures/*.png it quotes, the
    course's convention) are shown from figures/, in place of its inline images when it shows as
    many, else after its outputs; the `saved figures/<name>.png` notes give way to them."""
    noted = [name for name in map(_saved_figure, outputs) if name]
    saved = [name for name in dict.fromkeys(QUOTED.findall(source) + noted)
             if name in noted or (figures / f"{name}.png").is_file()]
    missing = [name for name in saved if not (figures / f"{name}.png").is_file()]
    if missing:
        raise SiteError(f"{where} saved {missing}, which are not in {figures}")
    images = [i for i, output in enumerate(outputs) if "image/png" in output.get("data", {})]
    in_place = dict(zip(images, saved, strict=True)) if len(images) == len(saved) else {}
    result = []
    for index, output in enumerate(outputs):
        if index in in_place:
            result.append(_figure(in_place[index]))
        elif WIDGET_MIME in output.get("data", {}):
            result.append(_markdown(WIDGET_NOTE))
        elif _saved_figure(output) is None:
            result.append(output)
    return result + ([] if in_place else [_figure(name) for name in saved])


def _saved_figure(output: dict) -> str | None:
    text = output.get("data", {}).get("text/plain", "") if output["output_type"] == "execute_result" else ""
    match = SAVED_FIGURE.match("".join(text).strip())
    return match.group(1) if match else None


def _figure(name: str) -> dict:
    return _markdown(f"![{name}](../figures/{name}.png)\n\n`figures/{name}.png`")


def _markdown(text: str) -> dict:
    return {"output_type": "display_data", "metadata": {}, "data": {"text/markdown": text}}


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _copy_if_changed(source: Path, target: Path) -> None:
    if not target.is_file() or target.read_bytes() != source.read_bytes():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def summary(index: Path) -> str:
    root = index.parent
    pages = [p for p in root.rglob("*.html") if "_static" not in p.parts]
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    return f"{len(pages)} pages, {size / 2**20:.1f} MiB in {root}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mict.course.site", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="where the HTML goes (default: build/site)")
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        index = build_site(args.out, quiet=not args.verbose)
    except SiteError as error:
        print(f"make site: {error}", file=sys.stderr)
        return 1
    print(f"site: {index} ({summary(index)}) in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
