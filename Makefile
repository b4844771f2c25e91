# Two commands for people: `make run` (demo server) and `make test` (the full suite).
# Both install what they need first: Debian packages (chromium for browser tests, the
# libraries WeasyPrint renders PDFs with), a virtualenv and the pinned Python packages.

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# The address in emails' links (lms/settings.py SITE_URL): where `make run` serves, unless set.
SITE_URL ?= http://$(HOST):$(PORT)
# Playwright drives Debian's Chromium; it must never download a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

DEB_PACKAGES := chromium fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b poppler-utils xmlsec1 gettext

# The interface's translations (issue 16): locale/<lang>/LC_MESSAGES/django.po are in git; their
# compiled .mo files are build output (git-ignored), rebuilt when a .po is newer, before anything runs.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
MESSAGE_LANGUAGES := fr de es ar

.PHONY: run test test-fast bench bench-load lint format system-deps venv migrate seed worker beat clean messages compilemessages

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

# gettext's msgfmt (a Debian package, `make system-deps`) compiles one language's catalogue.
locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po | $(VENV)/.installed
	$(PY) manage.py compilemessages -l $* --ignore=.venv --ignore=node_modules
	touch $@

compilemessages: $(MO_FILES)

# For maintainers: the catalogues brought up to date with the code's strings (then translate the
# new entries, and `make compilemessages`). lms/tests/test_catalogues.py fails until they are.
messages: venv
	$(PY) manage.py makemessages $(addprefix -l ,$(MESSAGE_LANGUAGES)) --ignore=.venv --ignore=node_modules \
		--ignore=static --ignore="*/tests/*" --ignore=bench --no-obsolete --no-location

# Installs the Debian packages that are missing (needs root or sudo; skipped when all are present).
system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = "0" ] || SUDO="sudo"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

migrate: venv compilemessages
	$(PY) manage.py migrate --noinput

seed: migrate
	SITE_URL=$(SITE_URL) $(PY) manage.py seed_demo --url http://$(HOST):$(PORT)/

run: system-deps compilemessages seed
	@echo "Serving at http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	SITE_URL=$(SITE_URL) $(PY) manage.py runserver $(HOST):$(PORT)

test: system-deps venv compilemessages
	$(VENV)/bin/pytest

# Unit and view tests only, no browser.
test-fast: venv compilemessages
	$(VENV)/bin/pytest -m "not browser"

# The nightly workflows, the reports, then CSV import throughput (each on a database of its own).
bench: venv
	$(PY) bench/run.py && $(PY) bench/reports.py --reuse && $(PY) bench/imports.py

# 2,000 simulated learners and a synchronised quiz start against gunicorn with the production
# settings (bench/load.py, Locust; PostgreSQL and Redis on this machine). Run with nothing else running.
bench-load: venv compilemessages
	$(PY) bench/load.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Development worker and beat, beside `make run`: the Celery app on its own defaults to the
# production settings (lms/celery.py), so these name the development settings unless
# DJANGO_SETTINGS_MODULE is already set.
worker: venv
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-lms.settings} SITE_URL=$(SITE_URL) $(VENV)/bin/celery -A lms worker --loglevel=info

beat: venv
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-lms.settings} $(VENV)/bin/celery -A lms beat --loglevel=info

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
