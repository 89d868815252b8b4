"""The set-up files agree with each other: pyproject.toml, environment.yml and the Makefile."""

import re
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _environment():
    """conda dependencies and pip entries of environment.yml (a flat, simple YAML file)."""
    conda, pip, in_pip = [], [], False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        if not stripped.strip():
            continue
        if stripped.strip() == "- pip:":
            in_pip = True
            continue
        item = re.match(r"^(\s*)- (.+)$", stripped)
        if item:
            (pip if in_pip and len(item.group(1)) > 4 else conda).append(item.group(2).strip())
    return conda, pip


def _makefile_torch_pins():
    match = re.search(r"^TORCH_PACKAGES \?= (.+)$", (ROOT / "Makefile").read_text(), re.M)
    return match.group(1).split()


def test_environment_installs_the_package_with_its_dev_extra():
    _, pip = _environment()
    assert "-e .[dev]" in pip
    assert "dev" in _pyproject()["project"]["optional-dependencies"]


def test_environment_python_satisfies_requires_python():
    conda, _ = _environment()
    python = next(d for d in conda if d.startswith("python="))
    version = python.split("=", 1)[1]
    assert SpecifierSet(_pyproject()["project"]["requires-python"]).contains(version + ".0")
    assert "pip" in conda


def test_environment_pins_the_same_torch_as_the_makefile_within_pyproject_bounds():
    _, pip = _environment()
    pinned = sorted(p for p in pip if not p.startswith("-e"))
    assert pinned == sorted(_makefile_torch_pins())
    bounds = {Requirement(r).name: Requirement(r).specifier for r in _pyproject()["project"]["dependencies"]}
    for pin in pinned:
        requirement = Requirement(pin)
        version = next(iter(requirement.specifier)).version
        assert requirement.name in bounds, f"{requirement.name} is pinned but not a dependency"
        assert bounds[requirement.name].contains(version), f"{pin} violates pyproject's {bounds[requirement.name]}"


def test_declared_dependencies_cover_the_course_stack():
    names = {Requirement(r).name for r in _pyproject()["project"]["dependencies"]}
    assert {"torch", "torchvision", "jupyterlab", "matplotlib", "ipywidgets", "pandas", "seaborn",
            "jupytext", "tqdm", "av"} <= names
    dev = {Requirement(r).name for r in _pyproject()["project"]["optional-dependencies"]["dev"]}
    assert {"pytest", "nbclient", "ruff"} <= dev
    assert _pyproject()["project"]["scripts"]["mict"] == "mict.cli:main"
