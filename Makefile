# The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PORT ?= 8000
# `honcho run` reads .env, so every step sees the same settings as the processes.
MANAGE := $(BIN)/honcho run $(BIN)/python manage.py

.PHONY: run test install install-test lint format tour

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@ $(VENV)/.installed-runtime

# axe-core for the browser tests' accessibility checks, from the npm registry. Without
# npm those checks skip, loudly (and fail where REQUIRE_SERVICES=1, as in CI).
E2E_NPM := tests/e2e/node_modules/.installed
$(E2E_NPM): tests/e2e/package.json tests/e2e/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix tests/e2e --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the accessibility checks (axe-core) will be skipped"; fi

install: $(VENV)/.installed-runtime
install-test: $(VENV)/.installed-test $(E2E_NPM)

# The whole app: web, Celery worker and beat. Embedded defaults (SQLite, filesystem
# broker, emails to var/outbox/) unless .env or the environment says otherwise.
run: export DEBUG ?= 1
# Links in emails point at the port served (the worker writes them, and honcho gives
# each process type a PORT of its own: web 8000, worker 8100, beat 8200).
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: export PATH := $(BIN):$(PATH)
run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) seed_demo --if-empty
	@$(MANAGE) demo_logins
	@echo
	@echo "SMP Clinic is starting at http://127.0.0.1:$(PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo "Emails go to var/outbox/ as .eml files unless EMAIL_HOST is set."
	@echo "Text messages go to var/sms/ as .txt files unless TWILIO_ACCOUNT_SID is set."
	@echo
	$(BIN)/honcho start --port $(PORT)

# Spread over one process per core (pytest-xdist), a test file to a process: a
# file's tests keep their order and share its fixtures. TEST_PROCESSES=0 runs it in
# this process. The 15 slowest tests are listed at the end, for whoever shortens CI.
TEST_PROCESSES ?= auto
test: install-test
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile --durations=15 $(PYTEST_ARGS)

# The README's tour: the browser journeys' screenshots, copied to docs/tour/.
tour: install-test
	$(BIN)/pytest tests/e2e/test_journeys.py tests/e2e/test_online_booking.py \
		tests/e2e/test_portal_journeys.py -q
	$(BIN)/python -m tests.e2e.tour

# ruff, and the layers of docs/architecture.md (import-linter contracts in pyproject.toml).
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
