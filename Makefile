# Two entry points do all set-up themselves: `make demo` and `make test`.
# Set-up is idempotent: a venv in .venv, the package in editable mode with its
# dev extras, and the Debian packages the project needs when they are missing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEB_PACKAGES := git tmux tig renpy renpy-thequestion graphviz

.PHONY: setup bytecode demo test lint typecheck unit bench clean schemas

setup: $(STAMP)

$(STAMP): pyproject.toml uv.lock .ci/setup .ci/uv-requirements.txt Makefile
	@PYTHON="$(PYTHON)" DEB_PACKAGES="$(DEB_PACKAGES)" bash .ci/setup
	@touch $(STAMP)

# Recompile changed modules (PYTHONDONTWRITEBYTECODE may be set; stale bytecode slows every CLI start).
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q comfyvn_vault comfyvn_tui >/dev/null

demo: bytecode
	@$(BIN)/python -m comfyvn_vault.demo

lint: $(STAMP)
	$(BIN)/uv lock --check --offline -q
	$(BIN)/ruff check comfyvn_vault comfyvn_tui tests benches
	$(BIN)/ruff format --check comfyvn_vault comfyvn_tui tests benches

typecheck: $(STAMP)
	$(BIN)/mypy

unit: bytecode
	$(BIN)/pytest -n 2

test: lint typecheck unit

schemas: $(STAMP)
	$(BIN)/python -m comfyvn_vault.schema_gen

bench: $(STAMP)
	$(BIN)/python -m benches.run_all

clean:
	rm -rf $(VENV) demo demo-laptop .pytest_cache .mypy_cache .ruff_cache .hypothesis
