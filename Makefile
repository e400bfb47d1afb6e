# One entry point for everything: the same commands in the README, in .ci/run and in your head.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
DATA_DIR ?= ./saksi-data
PORT ?= 8080
PYTEST_ARGS ?=

.PHONY: setup solc-shim demo test test-fast lint bench vectors brownie clean

WEB_SOURCES := $(wildcard web/*.html web/*.svg web/*.mjs web/src/*)

setup: $(VENV)/.installed node_modules/.installed solc-shim api/static/dist/.built

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The npm solc of *this* checkout as solc-v0.8.28 in build/solcx, where py-solc-x is pointed and brownie
# finds it (SOLCX_BINARY_PATH); never ~/.solcx, which every checkout on the machine shares. Idempotent.
solc-shim: $(VENV)/.installed node_modules/.installed
	$(PY) -c "from ledger.chain.solc import install_shim; install_shim()"

# The citizen page and dashboard, bundled from web/ with esbuild (nothing from a CDN at run time).
api/static/dist/.built: $(WEB_SOURCES) node_modules/.installed
	npm run --silent build:web
	touch $@

demo: setup
	$(VENV)/bin/saksi demo --data-dir $(DATA_DIR) --port $(PORT)

test: setup brownie
	$(PY) scripts/gen_vectors.py --check
	$(PY) scripts/compile_contracts.py --check
	$(PY) -m pytest $(PYTEST_ARGS)

# The card's contract tooling: brownie compile, brownie test and brownie run on ganache-cli, offline.
brownie: setup
	bash scripts/brownie.sh

test-fast: setup
	$(PY) -m pytest -m "not postgres and not anvil and not ganache and not browser and not slow" $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check ledger api tests scripts benchmarks
	$(VENV)/bin/ruff format --check ledger api tests scripts benchmarks
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) scripts/gen_vectors.py --check
	$(PY) scripts/compile_contracts.py --check

bench: setup
	$(PY) benchmarks/run.py

vectors: setup
	$(PY) scripts/gen_vectors.py

clean:
	rm -rf $(VENV) .venv-brownie build node_modules .pytest_cache .hypothesis $(DATA_DIR) api/static/dist
