# ParkLead: `make run DEMO=1` to try it, `make test` to test it. Both install what they need
# into .venv first (Python 3.11+).
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 5000
FAKE_CHANNELS_PORT ?= 8082
BIN := $(VENV)/bin

.PHONY: install run test lint bench-intake clean

$(BIN)/parklead-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(BIN)/parklead-installed

## Install, migrate the embedded SQLite database and serve. DEMO=1 adds demo data with a
## year of history and serves the fake 企业微信/钉钉/SMS APIs on FAKE_CHANNELS_PORT, where the
## demo agents' alerts arrive (http://127.0.0.1:8082/_fake/; docs/notifications.md).
run: install
	$(BIN)/parklead db upgrade
	@if [ -z "$(DEMO)" ]; then exec $(BIN)/parklead run --host $(HOST) --port $(PORT); fi; \
	$(BIN)/parklead seed-demo --history || exit 1; \
	$(BIN)/parklead fake-channels --port $(FAKE_CHANNELS_PORT) & fake=$$!; \
	trap 'kill $$fake 2>/dev/null' EXIT INT TERM; \
	PARKLEAD_FAKE_CHANNELS_URL=http://127.0.0.1:$(FAKE_CHANNELS_PORT) \
	  $(BIN)/parklead run --host $(HOST) --port $(PORT)

## Install and run the whole test suite (SQLite, and PostgreSQL/Redis/workers when reachable).
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench-intake: install
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) instance .pytest_cache
