# The two commands: `make course` (set up, run the whole course) and `make test`.
# Both create .venv when missing and need nothing but Python 3.11 and the package registries.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Pinned so a fresh machine gets the wheels this project is tested with (CPU or CUDA alike).
TORCH_PACKAGES ?= torch==2.14.1 torchvision==0.29.1
# Debian's Chromium drives the browser tests (Playwright cannot download its own browsers here).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
# JupyterLab refuses to run as root unless told it may (containers and CI run as root).
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: setup test unit course notebooks sweep lab site chromium lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_PACKAGES)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Unit tests, then every notebook executed and its numbers checked, then the course in a browser
# (JupyterLab in Chromium) and the course website, both reusing the models that run trained.
test: $(STAMP) chromium
	$(BIN)/python -m pytest

# Unit tests only (a few minutes).
unit: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# The whole course on the synthetic dataset: notebooks into build/notebooks, figures into figures/.
course: $(STAMP)
	$(BIN)/mict course

# Rewrite every notebooks/NN_*.ipynb from its py:percent source (after editing a notebook).
notebooks: $(STAMP)
	$(BIN)/python -m mict.course.pairing

# The shipped sweeps of notebooks 05 and 06 (data/sweeps), resumable: hours of CPU time on 2 cores.
sweep: $(STAMP)
	$(BIN)/mict sweep all

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks $(LAB_FLAGS)

# The course website, from the executed notebooks of `make course`, into build/site/.
site: $(STAMP)
	$(BIN)/python -m mict.course.site

# Chromium for the browser tests: installed with apt-get when missing (as root), else how to get it.
chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Chromium for the browser tests: apt-get install chromium"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		test -x "$(CHROMIUM)" || { echo "no Chromium at $(CHROMIUM) after apt-get install chromium"; exit 1; }; \
	else \
		echo "The browser tests need Chromium at $(CHROMIUM). Install it with"; \
		echo "    sudo apt-get install -y chromium"; \
		echo "or name another one: make test CHROMIUM=/path/to/chromium"; \
		exit 1; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check mict tests notebooks site

clean:
	rm -rf build .pytest_cache
