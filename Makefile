# The two commands of the README: `make run` and `make test`. Everything else is a step they share.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# The first Python >= 3.12 found: the pyenv-selected python3, then versioned names.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: run test setup system-deps checkers lint messages bench clean

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "error: no Python >= 3.12 found (tried python3, python3.13, python3.12, python)." >&2; exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# The Debian packages the tests need: Chromium for the browser journeys (Playwright drives Debian's build and
# downloads no browser of its own), gettext for the translation checks, PgBouncer for the exports through it in
# transaction mode, npm for the page checkers and Java for the Nu HTML checker. Installed when missing and root.
system-deps:
	@missing=""; [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v xgettext >/dev/null && command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	[ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null || missing="$$missing pgbouncer"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing$$missing"; apt-get update -qq && apt-get install -y -qq $$missing; \
	  else echo "error: the tests need these Debian packages:$$missing (sudo apt-get install$$missing)" >&2; exit 1; fi; \
	fi

# The checkers the layout walk runs on every page (package.json): axe-core and the Nu HTML checker's jar. Its
# install script, which would fetch a Java of its own, is skipped: Debian's Java runs the jar.
node_modules/.package-lock.json: package.json package-lock.json | system-deps
	npm ci --no-audit --no-fund --ignore-scripts

checkers: node_modules/.package-lock.json

test: $(STAMP) system-deps checkers
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

messages: $(STAMP)
	DEBUG=1 $(PY) manage.py makemessages -l fr --no-obsolete --ignore=.venv --ignore=tests
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles node_modules

# The benchmark at scale (docs/benchmarks.md); PostgreSQL and Redis on this machine, wrk from Debian.
BENCH_ENV := DATABASE_URL=postgres://postgres@127.0.0.1:5432/console_bench DJANGO_SETTINGS_MODULE=bench.settings \
	SECRET_KEY=bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz ALLOWED_HOSTS=127.0.0.1,testserver \
	SECURE_SSL_REDIRECT=0 REDIS_URL=redis://127.0.0.1:6379/5 CACHE_KEY_PREFIX=bench
bench: $(STAMP)
	@command -v wrk >/dev/null || { echo "error: wrk is missing (apt-get install -y wrk)." >&2; exit 1; }
	$(BENCH_ENV) $(PY) -m bench.run $(BENCH_ARGS)
