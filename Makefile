# Two commands matter: `make demo` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Tests need a key when DATABASE_URL is set; this one is never used outside the test run.
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-insecure-key-for-tests-only}

.PHONY: install migrate demo test lint format bench lock clean browser

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo
	$(BIN)/honcho --procfile deploy/Procfile.demo --app-root . start

# The board's browser tests need Debian's Chromium, the records' PDFs Debian's Pango, fonts and pdftotext;
# installed here when missing, never downloaded by a tool.
browser:
	bin/ensure-chromium
	bin/ensure-pdf-tools

test: install browser
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

# pip-audit checks the pinned versions against PyPI's advisories and fails on a known vulnerability; a
# package whose advisories PyPI did not return is named, and counted at the end, never passed silently.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -c pyproject.toml -r ooh alerts api board -q
	$(BIN)/lint-imports
	@# mypy's Django plugin imports the settings (a key when DATABASE_URL is set). Not incremental: the
	@# cache does not notice a settings change that changes the types of django.conf.settings.
	$(TEST_ENV) $(BIN)/mypy --no-incremental
	@report=$$(mktemp); \
	$(BIN)/pip-audit --requirement requirements.lock --no-deps --disable-pip \
	  --vulnerability-service pypi --progress-spinner off 2>&1 | tee $$report; status=$${PIPESTATUS[0]}; \
	skipped=$$(grep -c "could not be audited" $$report); rm -f $$report; \
	if [ "$$skipped" -gt 0 ]; then \
	  echo "pip-audit: $$skipped pinned packages could NOT be audited: PyPI did not answer for their releases"; \
	fi; \
	exit $$status

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(TEST_ENV) $(BIN)/python -m pytest tests/benchmarks -p no:cacheprovider -s $(PYTEST_ARGS)

# Re-resolve the pinned versions after changing pyproject.toml dependencies.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) var/*.sqlite3* var/celery
