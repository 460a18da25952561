# The two commands of the README: `make run` (local stack) and `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: install chromium run test test-postgres test-sqlite lint messages bench bench-quick fuzz drill clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The browser tests (tests/browser) drive Debian's Chromium through Playwright; a browser build
# downloaded by `playwright install` is never used. Install it with apt when it is missing.
CHROMIUM := /usr/bin/chromium
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y

chromium:
	test -x $(CHROMIUM) || $(APT_INSTALL) chromium chromium-driver \
		|| (apt-get update && $(APT_INSTALL) chromium chromium-driver)

.env:
	cp .env.example .env

run: install .env
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py bootstrap_demo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start

# Full suite on real Postgres + Redis, then the embedded SQLite default.
test: install chromium test-postgres test-sqlite

test-postgres: install chromium
	$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

test-sqlite: install chromium
	DATABASE_URL=sqlite:///$(CURDIR)/var/test-embedded.sqlite3 \
		$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider -m "not postgres_only"

# Translations: extract with GNU gettext (apt-get install gettext), compile with polib, so the
# app and the test suite (tests/test_translations.py) never need gettext installed.
MESSAGES_IGNORE := --ignore=.venv --ignore=var --ignore=bench --ignore=tests --ignore=docs --ignore=test-artifacts
messages: install
	command -v xgettext >/dev/null || $(APT_INSTALL) gettext || (apt-get update && $(APT_INSTALL) gettext)
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemessages -l nl -l en --no-obsolete $(MESSAGES_IGNORE)
	$(BIN)/python -c 'import polib; [polib.pofile(f"{d}/LC_MESSAGES/django.po").save_as_mofile(f"{d}/LC_MESSAGES/django.mo") for d in ("locale/nl", "locale/en", "locale_vendor/nl")]'

# Benchmarks, fuzzing and drills: programs, not tests (see README and docs/performance.md).
bench: install
	command -v hey >/dev/null || (apt-get install -y hey || (apt-get update && apt-get install -y hey))
	$(BIN)/python bench/run_all.py

bench-quick: install
	command -v hey >/dev/null || (apt-get install -y hey || (apt-get update && apt-get install -y hey))
	$(BIN)/python bench/run_all.py --quick

fuzz: install
	$(BIN)/python bench/fuzz.py

drill: install
	$(BIN)/python bench/drill.py

# Style, the layer contracts of docs/architecture.md (pyproject [tool.importlinter]) and types.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var/celery var/test-media
