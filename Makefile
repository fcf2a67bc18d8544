# Seamwatch: `make up` to try it, `make test` for the whole suite.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: up install test lint bench test-servers clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Create the venv, seed the demo if the store is empty, run scheduler + dashboard (Ctrl-C stops both).
up: install
	$(VENV)/bin/seamwatch up

## Lint, check the layering contracts and run every test.
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/pytest -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

## The real servers the tests use, and faketime for the dashboard's pinned clock (Debian packages; needs root).
test-servers:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		prometheus prometheus-alertmanager rabbitmq-server chromium victoria-metrics faketime >/dev/null

bench: install
	for b in bench/*.py; do case $$b in */_*) ;; *) $(PY) $$b || exit 1;; esac; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
