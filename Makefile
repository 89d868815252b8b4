# The two commands: `make course` (set up, run the whole course) and `make test`.
# Both create .venv when missing and need nothing but Python 3.11 and the package registries.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Pinned so a fresh machine gets the wheels this project is tested with (CPU or CUDA alike).
TORCH_PACKAGES ?= torch==2.14.1 torchvision==0.29.1

.PHONY: setup test unit course lab lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_PACKAGES)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Unit tests, then every notebook executed and its numbers checked.
test: $(STAMP)
	$(BIN)/python -m pytest

# Unit tests only (a few minutes).
unit: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# The whole course on the synthetic dataset: notebooks into build/notebooks, figures into figures/.
course: $(STAMP)
	$(BIN)/mict course

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks

lint: $(STAMP)
	$(BIN)/ruff check mict tests notebooks

clean:
	rm -rf build .pytest_cache
