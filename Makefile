VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install run test test-postgres lint format migrations schema bench audit-http

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'

run:
	$(BIN)/python -m gatehouse serve

test:
	$(BIN)/python -m pytest

test-postgres:
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations:
	$(BIN)/tortoise makemigrations

schema:
	$(BIN)/python -m gatehouse print-schema > schema.graphql

bench:
	$(shell command -v taskset >/dev/null && echo taskset -c 1) $(BIN)/python bench/authenticated_requests.py

audit-http:
	scripts/audit-http.sh
