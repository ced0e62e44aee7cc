# Two commands for a fresh machine: `make serve` (the bot, embedded mode) and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# torch==2.13.0 is the CPU build on these machines; on a GPU host set TORCH_SPEC / PIP_EXTRA_INDEX_URL.
TORCH_SPEC ?= torch==2.13.0

.PHONY: setup serve worker test lint typecheck pytest bench clean i18n-extract i18n-update i18n-compile

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

# Translations (docs/localisation.md): extract the English sentences into the template, merge it
# into every language's .po, compile .mo files (optional: the bot compiles a .po in memory).
i18n-extract: setup
	$(BIN)/python -m conversations.i18n.catalogues extract

i18n-update: i18n-extract
	$(BIN)/python -m conversations.i18n.catalogues update

i18n-compile: setup
	$(BIN)/python -m conversations.i18n.catalogues compile

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
