# Two commands on a fresh machine: `make run` (the whole method on the demo world) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export KEDRO_DISABLE_TELEMETRY := true

.PHONY: setup run test bench lint viz clean-demo study faults

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# The demo is every stage of dvc.yaml; `dvc repro` records them in dvc.lock, so a second
# `make run` (or `dvc repro`) has nothing to do. The venv on PATH: DVC's stage commands find it.
run: setup
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro

# The method's effect against its controls (conf/base/parameters_study.yml); resumable.
study: setup
	$(BIN)/kedro run --pipeline=study

test: setup
	$(BIN)/python -m pytest

# Every stage killed with SIGKILL at named points, then run again (tests/faults/), and the
# catalog datasets killed mid-save (tests/kedro_datasets/); minutes.
faults: setup
	$(BIN)/python -m pytest -m faults tests/faults tests/kedro_datasets

bench: setup
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

viz: setup
	$(BIN)/kedro viz build
