# Zorgbrug — the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
PORT ?= 8000
BENCH ?=
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
LANGS := nl fr en ar tr
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help install run test lint bench messages migrate demo worker browser clean

help:
	@echo "make run      install, migrate, load the demo and serve on http://127.0.0.1:$(PORT)"
	@echo "make test     install, lint, and run the whole test suite"
	@echo "make lint     ruff + mypy"
	@echo "make bench    run the benchmarks in bench/ (BENCH=name for one)"
	@echo "make messages extract and compile translations"
	@echo "make worker   run a Celery worker (JOBS_BACKEND=celery)"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# Installs exactly what uv.lock says; re-runs only when the lock file changes.
$(VENV)/.installed: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON) --quiet
	@touch $@

install: $(VENV)/.installed
	@$(PY) manage.py compilemessages --ignore=.venv --ignore=.tools -v0

migrate: install
	$(PY) manage.py migrate --noinput -v1

run: export DEBUG = 1
run: migrate
	$(PY) manage.py load_demo
	@echo "Zorgbrug on http://127.0.0.1:$(PORT)/ — demo log-ins are listed in README.md"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

demo: export DEBUG = 1
demo: migrate
	$(PY) manage.py load_demo

worker: install
	JOBS_BACKEND=celery $(VENV)/bin/celery -A zorgbrug worker --loglevel=INFO -Q zorgbrug

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy zorgbrug bench tests scripts

# Debian's Chromium for the browser tests; Playwright never downloads a browser here.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && apt-get install -y -qq chromium) >/dev/null; \
	fi

test: install lint browser
	@if [[ "$${DATABASE_URL:-}" == postgres* ]]; then \
		echo "Test database: PostgreSQL ($${DATABASE_URL%%\?*})"; \
	else \
		echo "Test database: SQLite (set DATABASE_URL=postgres://... to test on PostgreSQL)"; \
	fi
	ZORGBRUG_TESTING=1 $(VENV)/bin/pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

bench: install
	ALLOW_SYNTHETIC_DATA=1 $(PY) -m bench $(BENCH)

messages: install
	$(PY) manage.py makemessages $(foreach l,$(LANGS),-l $(l)) --ignore=.venv --ignore=.tools --ignore=tests --ignore=bench --ignore=scripts --no-obsolete --no-wrap
	$(PY) manage.py compilemessages --ignore=.venv --ignore=.tools

clean:
	rm -rf $(VENV) $(TOOLS) staticfiles
