# Everything sets itself up: a fresh clone needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
EXTRAS := service,lambda,drift,dev

.PHONY: install demo test lint typecheck unit bench lambdas clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/observability demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src lambdas tests benchmarks scripts glue
	$(VENV)/bin/ruff format --check src lambdas tests benchmarks scripts glue

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(PY) -m pytest

test: lint typecheck unit

bench: $(STAMP)
	$(PY) -m benchmarks

lambdas: $(STAMP)
	$(PY) -m scripts.build_lambdas build/lambdas

clean:
	rm -rf build dist .mypy_cache .ruff_cache .pytest_cache
