# Quick start: `make setup demo` then `make test` (see README).
PYTHON ?= python3

.PHONY: setup demo test test-fast lint bench

setup:
	PYTHON=$(PYTHON) bash scripts/setup.sh

demo:
	$(PYTHON) -m afterburner_core demo

test:
	$(PYTHON) -m pytest -q

# The inner loop: everything but the slow tests, the adversarial corpus and the docker/ray backends
# (CI runs them all with `make test`).
test-fast:
	$(PYTHON) -m pytest -q -m "not slow" --ignore=tests/adversarial -k "not docker and not ray"

# ruff's rules and its formatter, and mypy on the core (configured in pyproject.toml)
lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy

bench:
	$(PYTHON) -m benchmarks.measurement
