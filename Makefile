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

lint:
	$(PYTHON) -m ruff check .

bench:
	$(PYTHON) -m benchmarks.measurement
