# Quick start: `make setup demo` then `make test` (see README).
PYTHON ?= python3

.PHONY: setup demo test lint bench

setup:
	PYTHON=$(PYTHON) bash scripts/setup.sh

demo:
	$(PYTHON) -m afterburner_core demo

test:
	$(PYTHON) -m pytest -q

lint:
	$(PYTHON) -m ruff check .

bench:
	$(PYTHON) -m benchmarks.measurement
