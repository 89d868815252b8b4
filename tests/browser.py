"""Playwright helpers for the browser tests: Chromium, a JupyterLab server, a static file server,
and what a JupyterLab notebook shows (read from its DOM in one go, then checked in Python).

Chromium is Debian's (`make chromium` installs it; CHROMIUM=/path overrides): the pip package
cannot download its own browsers here, and without the background-networking flags Chromium's
own connections are refused by the closed network and logged as errors.
"""

import http.server
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}


def tell(pytestconfig, *lines: str) -> None:
    """Lines for the terminal even while pytest captures output (times a test wants people to see)."""
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def chromium():
    """A headless Chromium (a fresh temporary profile, as Playwright launches it), closed on exit."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not at {CHROMIUM}: run `make chromium` (apt-get install -y chromium) "
                    f"or set CHROMIUM=/path/to/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def static_server(root: Path):
    """`root` served over HTTP on a free port (as GitHub Pages would serve it): the base URL."""
    handler = partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


# --- JupyterLab -----------------------------------------------------------------------------------

# User settings for the test server: no news or update checks (they would reach the network).
LAB_SETTINGS = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings":
                {"fetchNews": "false", "checkForUpdates": False}}


class JupyterLab:
    """A JupyterLab server on a free port with a token, its settings and workspaces in `home`.

    It inherits the environment (MICT_DATA, MICT_BUILD, MICT_FIGURES), except that progress bars
    are on, as for a person. `stop` shuts it down with its kernels (its whole process group).
    """

    def __init__(self, root: Path, home: Path, env: dict | None = None):
        self.root, self.home = Path(root).resolve(), Path(home)
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**(env or os.environ), "MICT_PROGRESS": "1",
                    "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
                    "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
                    "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTER_CONFIG_DIR": str(home / "config")}
        self.log = home / "jupyterlab.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> None:
        for name, values in LAB_SETTINGS.items():
            path = self.home / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
                   f"--port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={self.root}"]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, cwd=self.root, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:  # poll until it answers: there is no event to wait for across processes
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("status")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer in {timeout:.0f} s:\n{self.log_tail()}") from None
                time.sleep(0.25)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: the server stops its kernels and exits
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        try:  # kernels left behind belong to the server's process group
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """Every session closed, so that one notebook's models do not stay in memory for the next."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")

    def notebook_url(self, path: str) -> str:
        return f"{self.url}/lab/tree/{path}?reset&token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.is_file() else ""


def copy_notebooks(names, source: Path, target: Path) -> Path:
    """The notebooks copied where JupyterLab may save them: running one never rewrites the checkout."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in names:
        if (source / f"{name}.ipynb").is_file():  # a missing one fails its own test
            shutil.copy2(source / f"{name}.ipynb", target / f"{name}.ipynb")
    return target


# --- What a JupyterLab notebook shows ---------------------------------------------------------------

KERNEL_READY = """() => {
  const dialog = document.querySelector('.jp-Dialog');
  if (dialog) return 'dialog: ' + dialog.innerText.replace(/\\s+/g, ' ').slice(0, 200);
  const name = document.querySelector('.jp-NotebookPanel .jp-Toolbar-kernelName');
  return name && name.textContent.trim() !== 'No Kernel' && kernelIdle() ? 'idle' : null;
}"""

# The notebook toolbar's indicator: its tooltip reads "Kernel status: Idle" once the kernel runs,
# and its data-status is 'busy' from the first cell Run All sends until every one sent has
# finished (a failing cell aborts the rest), then 'idle'.
PAGE_HELPERS = """
window.kernelIdle = () => /Idle/.test(
  (document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator-tooltip') || {}).textContent || '');
window.executionStatus = () =>
  (document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator') || {dataset: {}}).dataset.status;
window.prompts = () => [...document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt')].map(p => p.textContent);
"""
# Run All has started once the indicator is busy or a prompt shows a number (a notebook quicker
# than one poll), and finished once it is idle again and no prompt shows '*'.
RUN_STARTED = "() => executionStatus() === 'busy' || prompts().some(p => /\\[\\d+\\]/.test(p))"
RUN_FINISHED = "() => executionStatus() === 'idle' && !prompts().some(p => p.includes('*'))"

# Every progress bar that appears while the notebook runs, by cell: tqdm's `leave=False` bars are
# closed (and removed) when they finish, so the end state alone would miss them.
WATCH_PROGRESS_BARS = """() => {
  window.__progressCells = new Set();
  const cells = () => [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  new MutationObserver(() => {
    const all = cells();
    for (const bar of document.querySelectorAll('.jp-Notebook .widget-hprogress'))
      window.__progressCells.add(all.indexOf(bar.closest('.jp-Cell')));
  }).observe(document.querySelector('.jp-Notebook'), {childList: true, subtree: true});
}"""

# One snapshot of the notebook: per code cell, its prompt, first source line and outputs.
SNAPSHOT = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map((cell, index) => ({
  index,
  code: cell.classList.contains('jp-CodeCell'),
  prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
  source: ((cell.querySelector('.cm-line, .jp-PlaceholderText') || {}).textContent || '').slice(0, 80),
  outputs: [...cell.querySelectorAll('.jp-OutputArea-output')].map(output => ({
    mime: output.dataset.mimeType || '',
    text: output.innerText.slice(0, 600),
    widget: !!output.querySelector('.jupyter-widgets'),
    figureWidget: !!output.querySelector('.widget-vbox .widget-output'),
  })),
}))"""


@contextmanager
def screenshot_on_failure(page, path: Path):
    """A screenshot of the page as it was when a check failed, next to the others."""
    try:
        yield
    except BaseException:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(path))
        except Exception:  # noqa: BLE001 - the original failure matters more
            pass
        raise


def change_first_control(widget) -> str:
    """Change the first control of a widget as a person would; a description of what was changed."""
    control = widget.locator(".widget-dropdown, .widget-toggle-buttons, .widget-checkbox, .widget-slider").first
    kind = control.get_attribute("class")
    label = (control.locator(".widget-label").first.text_content() or "").strip()
    if "widget-dropdown" in kind:
        select = control.locator("select")
        values = select.locator("option").evaluate_all("options => options.map(o => o.value)")
        current = select.input_value()
        select.select_option(next(v for v in values if v != current))
        return f"dropdown '{label}'"
    if "widget-toggle-buttons" in kind:
        control.locator("button:not(.mod-active)").first.click()
        return f"toggle buttons '{label}'"
    if "widget-checkbox" in kind:
        control.locator("input[type=checkbox]").click()
        return f"checkbox '{label}'"
    handle = control.locator(".noUi-handle").first
    handle.focus()
    handle.press("ArrowRight")
    return f"slider '{label}'"


# --- One notebook, run in JupyterLab ------------------------------------------------------------------

RUN_TIMEOUT_S = 1800  # per notebook; with cached models the slowest (06) takes 4-12 min on 2 busy cores
REDRAW_TIMEOUT_S = 120
TEXT_BAR = re.compile(r"\d+%\|")  # tqdm drawn as text: '100%|██████| 5/5'
WIDGET_FALLBACK = re.compile(r"^(VBox|HBox|FloatProgress|Output)\(|Error displaying widget|Loading widget")
REDRAWN = """([widget, old]) => {
  const image = widget.querySelector('.widget-output img');
  return !!image && image.src !== old;
}"""


def figure_widget_cells(executed: Path) -> list[str]:
    """The first source line of each cell that displayed a FigureWidget (a VBox) in the headless run."""
    cells = []
    for cell in json.loads(executed.read_text())["cells"]:
        views = [o for o in cell.get("outputs", []) if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
        if any("".join(o["data"].get("text/plain", "")).startswith("VBox(") for o in views):
            cells.append("".join(cell["source"]).splitlines()[0])
    return cells


def run_notebook_in_lab(lab: JupyterLab, browser, name: str, widget_sources: list[str], shots: Path) -> dict:
    """Open, Run All and check one notebook as a person would; raises AssertionError naming what failed.

    Checks: no kernel dialog; every cell ran; no error or stderr output; every widget the headless
    run displayed is rendered, and changing a control of each redraws its figure; no tqdm bar is
    drawn as text. Returns the seconds it took and the cells where progress bars appeared.
    """
    page = browser.new_page(viewport=VIEWPORT)
    page.add_init_script(PAGE_HELPERS)
    start = time.perf_counter()
    try:
        with screenshot_on_failure(page, shots / f"lab-{name}-failed.png"):
            page.goto(lab.notebook_url(f"{name}.ipynb"))
            state = wait_for(page, KERNEL_READY, f"{name}: the kernel did not start", 120)
            assert state == "idle", f"{name}: a kernel dialog opened instead of the kernel: {state}"
            page.evaluate(WATCH_PROGRESS_BARS)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
            wait_for(page, RUN_STARTED, f"{name}: Run All did not start", 60)
            wait_for(page, RUN_FINISHED, f"{name}: Run All did not finish", RUN_TIMEOUT_S, polling=1000)
            ran_s = time.perf_counter() - start
            dialogs = page.locator(".jp-Dialog").all_inner_texts()
            assert not dialogs, f"{name}: a dialog opened while it ran: {dialogs[0][:300]!r}"
            cells = page.evaluate(SNAPSHOT)
            page.screenshot(path=str(shots / f"lab-{name}.png"))
            check_outputs(name, cells)
            check_widgets_render(name, cells, widget_sources)
            figures = page.locator(".jp-OutputArea-output > .widget-vbox:has(.widget-output)")
            for k in range(figures.count()):
                redraw(page, figures.nth(k), f"{name}, widget {k + 1}", shots / f"lab-{name}-widget{k + 1}.png")
            bars = sorted(page.evaluate("() => [...window.__progressCells]"))
            shown = page.locator(".jp-Notebook .jp-Cell:has(.widget-hprogress)")
            if shown.count():  # the bars that stay (tqdm's leave=True), as a person sees them
                shown.first.scroll_into_view_if_needed()
                shown.first.screenshot(path=str(shots / f"lab-{name}-progress.png"))
    finally:
        page.close()
        lab.shut_down_kernels()
    return {"notebook": name, "run_s": round(ran_s, 1), "total_s": round(time.perf_counter() - start, 1),
            "progress_bar_cells": bars}


def wait_for(page, condition: str, failure: str, timeout_s: float, arg=None, polling: int = 250):
    """The truthy value of the JavaScript `condition`, once it has one; AssertionError(failure) after timeout_s."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(condition, arg=arg, timeout=timeout_s * 1000, polling=polling).json_value()
    except PlaywrightTimeout:
        raise AssertionError(f"{failure} in {timeout_s:.0f} s") from None


def _where(cell: dict) -> str:
    return f"cell {cell['index']} ({cell['source']!r})"


def check_outputs(name: str, cells: list[dict]) -> None:
    """Every code cell ran; no cell shows an error, stderr or a progress bar drawn as text."""
    code = [cell for cell in cells if cell["code"]]
    not_run = [cell for cell in code if cell["prompt"].startswith("[ ]")]  # a collapsed input shows no prompt
    problems = [f"{_where(cell)}: did not run, nor did the {len(not_run) - 1} cells after it" for cell in not_run[:1]]
    for cell in code:
        for output in cell["outputs"]:
            if TEXT_BAR.search(output["text"]):
                problems.append(f"{_where(cell)}: a progress bar drawn as text, not as a widget: {output['text']!r}")
            elif output["mime"] in ("application/vnd.jupyter.stderr", "application/vnd.jupyter.error"):
                kind = "an error" if re.search(r"Traceback|Error\b", output["text"]) else "stderr output"
                problems.append(f"{_where(cell)}: {kind}:\n{output['text'].strip()}")
    assert not problems, f"{name} in JupyterLab:\n" + "\n".join(problems)


def check_widgets_render(name: str, cells: list[dict], widget_sources: list[str]) -> None:
    """Each cell that displayed a widget headlessly shows it rendered (not its text fallback)."""
    problems = []
    for source in widget_sources:
        matches = [cell for cell in cells if cell["code"] and cell["source"] == source[:80]]
        if not matches:
            problems.append(f"no cell starts with {source!r}")
        elif not any(output["figureWidget"] for output in matches[0]["outputs"]):
            shown = [output["text"][:120] for output in matches[0]["outputs"]]
            problems.append(f"{_where(matches[0])}: its widget did not render; the cell shows {shown}")
    for cell in cells:
        for output in cell["outputs"]:
            if not output["widget"] and WIDGET_FALLBACK.search(output["text"].strip()):
                problems.append(f"{_where(cell)}: a widget shown as text: {output['text'][:120]!r}")
    assert not problems, f"{name} in JupyterLab:\n" + "\n".join(problems)


def redraw(page, widget, where: str, screenshot: Path) -> None:
    """Change one control of a FigureWidget and wait for its figure (an <img>) to change."""
    widget.scroll_into_view_if_needed()
    image = widget.locator(".widget-output img").first
    assert image.count(), f"{where}: no figure in its output area"
    before = image.get_attribute("src")
    control = change_first_control(widget)
    wait_for(page, REDRAWN, f"{where}: changing its {control} did not redraw its figure", REDRAW_TIMEOUT_S,
             arg=[widget.element_handle(), before])
    widget.screenshot(path=str(screenshot))


# --- A static site, page by page -----------------------------------------------------------------------

LOAD_IMAGES = """() => Promise.all([...document.images].map(image => {
  image.loading = 'eager';
  return image.complete ? null : new Promise(done => { image.onload = image.onerror = done; });
}))"""
PAGE_FACTS = """() => ({
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  images: [...document.images].map(i => ({src: i.src, alt: i.alt, width: i.naturalWidth})),
  ids: [...document.querySelectorAll('[id]')].map(e => e.id),
  text: document.body.innerText,
})"""


@dataclass
class Page:
    """What one page of a site showed in Chromium; `errors` is everything that went wrong loading it."""

    path: str
    errors: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    text: str = ""
    extra: object = None


def crawl(browser, base: str, shots: Path, inspect: str = "() => null") -> dict[str, Page]:
    """Every HTML page reachable from base + 'index.html' by internal links: loaded with its images,
    its console errors, failed or outside requests, links, images and ids recorded, and a full-page
    screenshot taken; `inspect` (JavaScript) adds what a test wants to know about each page."""
    shots.mkdir(parents=True, exist_ok=True)
    pages: dict[str, Page] = {}
    queue = ["index.html"]
    while queue:
        path = queue.pop(0)
        if path in pages:
            continue
        report = pages[path] = Page(path)
        page = browser.new_page(viewport=VIEWPORT)
        _record_errors(page, report, base)
        try:
            page.goto(base + path, wait_until="load")
            page.evaluate(LOAD_IMAGES)
            facts = page.evaluate(PAGE_FACTS)
            report.extra = page.evaluate(inspect)
            page.screenshot(path=str(shots / (path.replace("/", "__").removesuffix(".html") + ".png")), full_page=True)
        finally:
            page.close()
        report.links, report.images, report.ids, report.text = (facts["links"], facts["images"], set(facts["ids"]),
                                                                facts["text"])
        for link in report.links:
            target = site_path(link, base)
            if target and target.endswith(".html") and target not in pages:
                queue.append(target)
    return pages


def _record_errors(page, report: Page, base: str) -> None:
    """Console errors, script errors, failed requests, HTTP errors and requests outside the site."""
    errors = report.errors

    def on_console(message):
        if message.type == "error":
            errors.append(f"console: {message.text}")

    def on_response(response):
        if response.status >= 400:
            errors.append(f"HTTP {response.status}: {response.url}")

    def on_request(request):
        if not request.url.startswith((base, "data:")):
            errors.append(f"loads {request.url} from outside the site")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"script error: {error}"))
    page.on("requestfailed", lambda request: errors.append(f"request failed: {request.url} ({request.failure})"))
    page.on("response", on_response)
    page.on("request", on_request)


def site_path(url: str, base: str) -> str | None:
    """The file an internal URL points at, relative to the site ('a/' → 'a/index.html'); None if external."""
    if not url.startswith(base):
        return None
    path = url[len(base):].split("#", 1)[0].split("?", 1)[0]
    return path + "index.html" if path == "" or path.endswith("/") else path
