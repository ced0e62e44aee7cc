# Two commands for a fresh machine: `make serve` (the bot, embedded mode) and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# torch==2.13.0 is the CPU build on these machines; on a GPU host set TORCH_SPEC / PIP_EXTRA_INDEX_URL.
TORCH_SPEC ?= torch==2.13.0

.PHONY: setup serve worker test lint typecheck pytest bench clean

$(BIN)/headshots: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH_SPEC)" -e '.[dev]'
	touch $@

setup: $(BIN)/headshots

serve: setup
	$(BIN)/headshots db upgrade
	$(BIN)/headshots serve

worker: setup
	$(BIN)/headshots worker

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy bot handlers conversations engine storage tests

pytest: setup
	$(BIN)/python -m pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
