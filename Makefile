# Metal Fests — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := 3.11
UV := python3 -m uv
RUN := $(UV) run --frozen
PYTEST_ARGS ?=

.PHONY: help install system-deps python-deps node-deps run test test-sqlite test-postgres bench package lint clean

help:
	@echo "make run      serve the admin (http://127.0.0.1:8000/admin/) and the public API (http://127.0.0.1:8001/api/) locally"
	@echo "make test     run the whole test suite (SQLite, and PostgreSQL when DATABASE_URL points at one)"
	@echo "make bench    run the benchmarks in bench/ and print their tables"
	@echo "make package  build the read-tier Lambda artifact under dist/"
	@echo "make lint     check the Python code with ruff (part of make test)"
	@echo "make clean    remove build and test leftovers (dist/, test media, caches); var/db.sqlite3 stays"

install: system-deps python-deps node-deps

# Java (DynamoDB Local), Node (oidc-provider, the DynamoDB Local package), Chromium (browser tests).
system-deps:
	@missing=""; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	command -v node >/dev/null || missing="$$missing nodejs npm"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

python-deps:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --all-extras

node-deps: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

run: install
	$(RUN) python -m devtools.stack

test: install
	$(MAKE) lint
	$(MAKE) test-sqlite
	@if [[ "$${DATABASE_URL:-}" == postgres* ]]; then $(MAKE) test-postgres; \
	else echo "DATABASE_URL does not point at PostgreSQL: the PostgreSQL pass is not run here (CI runs it)."; fi

test-sqlite:
	env -u DATABASE_URL $(RUN) pytest $(PYTEST_ARGS)

# The SQL-backed part of the suite again on PostgreSQL (read_api and infra never touch SQL).
test-postgres:
	$(RUN) pytest --ignore=tests/read_api --ignore=tests/infra $(PYTEST_ARGS)

bench: install
	$(RUN) python -m bench

package: python-deps
	$(RUN) python -m infra.package

lint: python-deps
	$(RUN) ruff check .

clean:
	rm -rf dist var/test-media .pytest_cache .ruff_cache
