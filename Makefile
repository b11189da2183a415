# Pilothouse's entry points. `make up` runs the cluster; `make test` is everything CI checks.
# Both work from a fresh clone: the virtualenv is created, and refreshed whenever
# pyproject.toml changes, by the stamp rule below.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.pilothouse-installed

# The services that scripts/services.sh provides, used unless the caller set their own.
TEST_DATABASE_URL := postgresql://pilothouse:pilothouse@127.0.0.1:5432/pilothouse
TEST_REDIS_URL := redis://127.0.0.1:6379/0

.PHONY: up install services test lint typecheck imports test-docker bench-store bench-api bench-scheduler bench-startup bench-proxy

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(STAMP)

## Run the cluster in the foreground: the API (HTTPS, admin kubeconfig in .cluster/kubeconfig),
## a Celery worker (scheduler and controllers), Celery beat and a node agent for this machine.
## The examples' image is built from Debian's busybox-static when Docker answers (no pull).
## Ctrl-C stops it all.
up: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	-bash scripts/busybox-image.sh pilothouse/busybox:local
	exec $(BIN)/python manage.py runcluster

## Install and start PostgreSQL, Redis and the Docker engine (Debian, as root).
services:
	bash scripts/services.sh

test test-docker bench-store bench-api bench-scheduler bench-startup bench-proxy: export DATABASE_URL ?= $(TEST_DATABASE_URL)
test test-docker bench-scheduler: export REDIS_URL ?= $(TEST_REDIS_URL)

## What CI runs: services, then lint, format, types, import layers and the whole test suite.
test: services $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

## Only the end-to-end tests that drive the Docker engine.
test-docker: services $(STAMP)
	$(BIN)/pytest -m docker

## The store benchmark against the PostgreSQL that services.sh provides.
bench-store: services $(STAMP)
	$(BIN)/python bench/store.py

## The API benchmark: runapi over HTTPS against the PostgreSQL that services.sh provides.
bench-api: services $(STAMP)
	$(BIN)/python bench/api.py

## The scheduler benchmark: a Celery worker binding pods on 1,000 nodes, against the PostgreSQL
## and Redis that services.sh provides.
bench-scheduler: services $(STAMP)
	$(BIN)/python bench/scheduler.py

## The pod startup benchmark: a node agent on Docker (50 pods), then 100 simulated nodes.
bench-startup: services $(STAMP)
	$(BIN)/python bench/startup.py

## The proxy benchmark: requests/s through a NodePort against straight to the pod IP (root).
bench-proxy: services $(STAMP)
	$(BIN)/python bench/proxy.py
