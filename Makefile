# Sourcing Desk. `make run`: set up and serve the demo. `make test`: the whole suite.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The PostgreSQL database the suite runs on (pytest-django creates test_<name> beside it).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/sourcing_desk
export DJANGO_SETTINGS_MODULE := newsroom.settings

.PHONY: run test venv chromium lint check test-sqlite test-postgres migrate demo worker bench clean

$(BIN)/.installed: requirements.txt requirements-encoder.txt requirements-dev.txt
	@test -x $(PYTHON) || $$(scripts/find-python) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet --require-hashes -r requirements.txt
	$(PYTHON) -m pip install --quiet --require-hashes --no-deps -r requirements-encoder.txt
	$(PYTHON) -m pip install --quiet --require-hashes -r requirements-dev.txt
	@touch $@

venv: $(BIN)/.installed

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

migrate: venv
	DEBUG=1 $(PYTHON) manage.py migrate --noinput

demo: migrate
	DEBUG=1 $(PYTHON) manage.py load_demo

# Serve the app with the demo data and a task worker; Ctrl-C stops both.
run: demo
	@echo
	@echo "  Sourcing Desk:  http://$(HOST):$(PORT)/"
	@echo "  Demo logins:    editor / editor-demo-pass   standards / standards-demo-pass   admin / admin-demo-pass"
	@echo
	@DEBUG=1 $(PYTHON) manage.py db_worker --no-reload & worker=$$!; \
	 trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	 DEBUG=1 $(PYTHON) manage.py runserver $(HOST):$(PORT)

worker: venv
	DEBUG=1 $(PYTHON) manage.py db_worker

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check annotations newsroom tests bench

# Checked with production settings (DEBUG off); the key only has to exist.
check: venv
	SECRET_KEY=make-check-only $(PYTHON) manage.py check --fail-level WARNING
	SECRET_KEY=make-check-only $(PYTHON) manage.py makemigrations --check --dry-run

test-sqlite: venv chromium
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

# On PostgreSQL; REQUIRE_POSTGRES=1 (CI) turns "not reachable" into a failure.
test-postgres: venv chromium
	@if $(PYTHON) -c "import psycopg,sys; psycopg.connect('$(TEST_POSTGRES_URL)'.rsplit('/',1)[0]+'/postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest $(PYTEST_ARGS); \
	elif [ -n "$$REQUIRE_POSTGRES" ]; then echo "PostgreSQL is not reachable at $(TEST_POSTGRES_URL)"; exit 1; \
	else echo "!! PostgreSQL not reachable at $(TEST_POSTGRES_URL): suite ran on SQLite only"; fi

test: lint check test-postgres test-sqlite

bench: venv
	DATABASE_URL=$(TEST_POSTGRES_URL) $(PYTHON) bench/import.py

clean:
	rm -rf $(VENV) test-artifacts staticfiles
