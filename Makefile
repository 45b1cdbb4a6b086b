VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install playground-assets run test test-postgres test-browser fuzz lint format migrations release-snapshot schema bench audit-http

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(MAKE) playground-assets

# GraphiQL's assets, pinned and integrity-checked by playground/package-lock.json.
playground-assets:
	@command -v npm >/dev/null || { echo "make install: npm not found; GraphiQL's assets need Node.js and npm (apt-get install -y nodejs npm)" >&2; exit 1; }
	cd playground && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error

run:
	$(BIN)/python -m gatehouse serve

test:
	$(BIN)/python -m pytest

test-browser:
	$(BIN)/python -m pytest -m browser tests/browser

test-postgres:
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest

fuzz:
	$(BIN)/python -m pytest -m fuzz tests/test_fuzz.py

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations:
	$(BIN)/tortoise makemigrations

# At each release: its database, made and filled by its own code, for tests/test_upgrades.py.
release-snapshot:
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/python scripts/release_snapshot.py $(or $(COMMIT),HEAD)

schema:
	$(BIN)/python -m gatehouse print-schema > schema.graphql

bench:
	$(BIN)/python -m bench.run

audit-http:
	scripts/audit-http.sh
