# ParkLead: `make run DEMO=1` to try it, `make test` to test it. Both install what they need
# into .venv first (Python 3.11+).
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 5000
BIN := $(VENV)/bin

.PHONY: install run test lint bench-intake clean

$(BIN)/parklead-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(BIN)/parklead-installed

## Install, migrate the embedded SQLite database and serve (add DEMO=1 for demo data).
run: install
	$(BIN)/parklead db upgrade
	@if [ -n "$(DEMO)" ]; then $(BIN)/parklead seed-demo; fi
	$(BIN)/parklead run --host $(HOST) --port $(PORT)

## Install and run the whole test suite (SQLite, and PostgreSQL/Redis/workers when reachable).
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench-intake: install
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) instance .pytest_cache
