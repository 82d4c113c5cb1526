# The two commands: `make run` (the whole hub on this machine) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: run test lint bench demo soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(RUNTIME_STAMP) $@

## run: web (HUB_BIND, default 127.0.0.1:8000), Celery worker and beat in the foreground, until Ctrl-C.
## A process that dies is started again (scripts/procrun.py); Ctrl-C stops all three.
run: export DEBUG := $(or $(DEBUG),true)
# SQLite takes one writer at a time, so threads waiting on partners gain little on the embedded
# defaults: two processes there (as soaked); the threads pool with PostgreSQL (the Procfile's default).
run: export WORKER_POOL := $(or $(WORKER_POOL),$(if $(DATABASE_URL),threads,prefork))
run: export WORKER_CONCURRENCY := $(or $(WORKER_CONCURRENCY),$(if $(DATABASE_URL),32,2))
run: $(RUNTIME_STAMP)
	mkdir -p var staticfiles
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py hub_bootstrap
	$(BIN)/python scripts/procrun.py --procfile Procfile

## demo: against a running `make run` (the last one's address, or HUB_BIND), one order through its life.
demo: export DEBUG := $(or $(DEBUG),true)
demo: $(RUNTIME_STAMP)
	$(BIN)/python manage.py hub_demo

## test: the whole suite (PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are set).
test: $(DEV_STAMP)
	mkdir -p var
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## lint: ruff, mypy (the whole project, config in pyproject.toml) and the import contracts (lint-imports).
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## bench: the benchmarks (PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are set); BENCH_ARGS=--full etc.
bench: $(DEV_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

## soak: `make run`'s processes for SOAK_ARGS (default --minutes 60) under steady webhooks; see bench/soak.py.
soak: $(RUNTIME_STAMP)
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf var/broker var/broker.sqlite3* var/test-broker-* var/test-hub-*.sqlite3* var/celerybeat-schedule*
