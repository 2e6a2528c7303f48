# Everything sets itself up: a fresh clone needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
EXTRAS := service,lambda,drift,dev

.PHONY: install demo test lint typecheck unit bench lambdas clean ui ui-test dist package

# The web UI (ui/): built by npm into the package's static files, served at `/`.
UI        := ui
UI_STATIC := src/observability/service/static
UI_BUILT  := $(UI_STATIC)/index.html
UI_DEPS   := $(UI)/node_modules/.package-lock.json
UI_SRC    := $(shell find $(UI)/src -type f 2>/dev/null) $(UI)/index.html $(UI)/vite.config.ts $(UI)/tsconfig.json

install: $(STAMP) $(UI_BUILT)

# `npm ci` again only when the lockfile changed since node_modules was made.
$(UI_DEPS): $(UI)/package-lock.json $(UI)/package.json
	@command -v npm >/dev/null || { echo "npm not found: install Node 20 and npm to build the web UI"; exit 1; }
	cd $(UI) && npm ci --no-audit --no-fund --loglevel=error
	touch $(UI_DEPS)

$(UI_BUILT): $(UI_DEPS) $(UI_SRC)
	cd $(UI) && npm run --silent build

ui: $(UI_BUILT)

ui-test: $(UI_DEPS)
	cd $(UI) && npx vitest run

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

demo: $(STAMP) $(UI_BUILT)
	$(VENV)/bin/observability demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src lambdas tests benchmarks scripts glue
	$(VENV)/bin/ruff format --check src lambdas tests benchmarks scripts glue

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP) $(UI_BUILT)
	$(PY) -m pytest

test: lint typecheck ui-test unit

bench: $(STAMP)
	$(PY) -m benchmarks

lambdas: $(STAMP)
	$(PY) -m scripts.build_lambdas build/lambdas

# Everything `observability deploy` uploads (x86_64): the template, each Lambda's zip with
# exactly its dependencies, the wheel, the Glue script, and the drift image's build context
# with your models file: `make package MODELS=models.yaml`.
MODELS ?= models.example.yaml
package: $(STAMP) $(UI_BUILT)
	$(PY) -m scripts.package build/package --models $(MODELS)

# A wheel that carries the built UI: who installs it needs no Node.
dist: $(STAMP) $(UI_BUILT)
	rm -rf dist build/lib build/bdist.*  # setuptools' own copies keep files of older builds
	$(PY) -m pip wheel --quiet --no-deps --wheel-dir dist .
	$(PY) -m zipfile -l dist/*.whl | grep -q 'observability/service/static/index.html' \
		|| { echo "the wheel lacks the built UI"; exit 1; }

clean:
	rm -rf build dist .mypy_cache .ruff_cache .pytest_cache
