VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# Stamps: every target that needs the virtualenv or GraphiQL's assets installs them first
# when missing or older than what pins them, so `make run` and `make test` work on a fresh
# clone.
INSTALLED := $(VENV)/.installed
ASSETS_INSTALLED := playground/node_modules/.installed
PORTAL_BUILT := portal/dist/.built
PORTAL_SOURCES := portal/package-lock.json portal/index.html portal/vite.config.js portal/scripts/documents.mjs $(wildcard portal/src/*.js portal/src/*.css portal/operations/*.graphql)

.PHONY: install playground-assets portal run test test-postgres test-browser fuzz lint format migrations release-snapshot schema bench audit-http release-notes

# Installs again, even where the stamps say it is up to date.
install:
	rm -f $(INSTALLED) $(ASSETS_INSTALLED) $(PORTAL_BUILT) && $(MAKE) $(INSTALLED) $(ASSETS_INSTALLED) $(PORTAL_BUILT)

playground-assets:
	rm -f $(ASSETS_INSTALLED) && $(MAKE) $(ASSETS_INSTALLED)

$(INSTALLED): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# GraphiQL's assets, pinned and integrity-checked by playground/package-lock.json.
$(ASSETS_INSTALLED): playground/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm not found; GraphiQL's assets need Node.js and npm (apt-get install -y nodejs npm)" >&2; exit 1; }
	cd playground && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# The portal (/portal/): its npm packages pinned by portal/package-lock.json, built into
# portal/dist with the trusted-documents manifest of its operations.
$(PORTAL_BUILT): $(PORTAL_SOURCES)
	@command -v npm >/dev/null || { echo "make: npm not found; the portal's build needs Node.js and npm (apt-get install -y nodejs npm)" >&2; exit 1; }
	cd portal && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && npm run build --silent
	touch $@

portal:
	rm -f $(PORTAL_BUILT) && $(MAKE) $(PORTAL_BUILT)

run: $(INSTALLED) $(ASSETS_INSTALLED) $(PORTAL_BUILT)
	$(BIN)/python -m gatehouse serve

test: $(INSTALLED) $(ASSETS_INSTALLED) $(PORTAL_BUILT)
	$(BIN)/python -m pytest

test-browser: $(INSTALLED) $(ASSETS_INSTALLED) $(PORTAL_BUILT)
	$(BIN)/python -m pytest -m browser tests/browser

test-postgres: $(INSTALLED) $(ASSETS_INSTALLED) $(PORTAL_BUILT)
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest

fuzz: $(INSTALLED)
	$(BIN)/python -m pytest -m fuzz tests/graphql/test_fuzz.py

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations: $(INSTALLED)
	$(BIN)/tortoise makemigrations

# At each release: its database, made and filled by its own code, for tests/ops/test_upgrades.py.
release-snapshot: $(INSTALLED)
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/python scripts/release_snapshot.py $(or $(COMMIT),HEAD)

schema: $(INSTALLED)
	$(BIN)/python -m gatehouse print-schema > schema.graphql

bench: $(INSTALLED)
	$(BIN)/python -m bench.run

audit-http: $(INSTALLED)
	scripts/audit-http.sh

# A release's notes: its section of CHANGELOG.md (VERSION=x.y.z; default the Unreleased one).
release-notes:
	@awk -v version="$(or $(VERSION),Unreleased)" '/^## \[/ { show = index($$0, "## [" version "]") == 1; next } show' CHANGELOG.md
