# eldernet — developer and CI entry points. `make help` lists the targets.
#
# Python: python3.11 if present, else python3 (must be 3.11). Override: make PYTHON=/path/to/python3.11
# Services: RabbitMQ and PostgreSQL on 127.0.0.1, see deploy/ensure-services.sh
#           (ELDERNET_SKIP_SERVICES=1 when you run your own).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help venv services test demo bench lint clean distclean

help: ## list the targets
	@echo "eldernet make targets:"
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-10s %s\n", $$1, $$2}'

venv: $(STAMP) ## create .venv and pip install -e '.[test]' (only when pyproject.toml changed)

# The stamp is newer than pyproject.toml once the install succeeded; a second run does nothing.
$(STAMP): pyproject.toml constraints.txt
	@if [ -z "$(PYTHON)" ]; then \
		echo "[eldernet] ERROR: neither python3.11 nor python3 found on PATH; install Python 3.11 (Debian 12: apt-get install -y python3 python3-venv)" >&2; exit 1; fi
	@ver=$$("$(PYTHON)" -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	if [ "$$ver" != "3.11" ]; then \
		echo "[eldernet] ERROR: $(PYTHON) is Python $$ver; eldernet needs Python 3.11 (pyproject: requires-python >=3.11,<3.12). Install python3.11 or run: make PYTHON=/path/to/python3.11" >&2; exit 1; fi
	@if [ -x $(VPY) ] && ! $(VPY) -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then \
		echo "[eldernet] $(VENV) is broken or not Python 3.11: recreating it"; rm -rf $(VENV); fi
	@if [ ! -x $(VPY) ]; then \
		if ! "$(PYTHON)" -c 'import ensurepip, venv' 2>/dev/null; then \
			if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
				echo "[eldernet] $(PYTHON) lacks venv/ensurepip: apt-get install -y python3-venv"; \
				apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv; \
			else \
				echo "[eldernet] ERROR: $(PYTHON) cannot create a venv (no ensurepip). Run as root: apt-get update && apt-get install -y python3-venv" >&2; exit 1; \
			fi; \
		fi; \
		echo "[eldernet] creating $(VENV) with $(PYTHON)"; \
		"$(PYTHON)" -m venv $(VENV); \
	fi
	@echo "[eldernet] pip install -e '.[test]'"
	$(VPY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $(STAMP)

services: ## make sure RabbitMQ (+management, shovel) and PostgreSQL are installed and running
	@deploy/ensure-services.sh

test: venv services ## run the test suite (pytest -q); extra args: make test PYTEST_ARGS='-k foo'
	@rc=0; $(VPY) -m pytest -q $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then \
		echo "[eldernet] ERROR: pytest collected no tests (exit 5): failing, a run with no tests is not a pass" >&2; \
	elif [ $$rc -ne 0 ]; then \
		echo "[eldernet] pytest failed (exit $$rc)" >&2; \
	fi; \
	exit $$rc

demo: venv services ## run the end-to-end demo (eldernet demo)
	$(VENV)/bin/eldernet demo

bench: venv services ## run the benchmarks (bench/run.py)
	$(VPY) bench/run.py --report docs/performance.md

lint: venv ## check the import contracts (import-linter, config in pyproject.toml)
	$(VENV)/bin/lint-imports

clean: ## remove var/ and caches (keeps .venv)
	rm -rf var/ .pytest_cache/ .hypothesis/ .import_linter_cache/ .make/
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf

distclean: clean ## clean, and remove .venv and the egg-info
	rm -rf $(VENV) *.egg-info/
