# Two commands for a newcomer: `make run` and `make test`. Both are safe to repeat.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE ?= config.settings.local

.PHONY: install run test lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

var:
	mkdir -p var

run: install var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py ensure_demo_accounts --port $(PORT)
	@echo "Starting the web app on http://$(HOST):$(PORT)/ and the notification worker (Ctrl-C stops both)."
	@echo "Health: http://$(HOST):$(PORT)/healthz (process) and http://$(HOST):$(PORT)/readyz (database, broker, worker, deliveries; ready once the worker's first sweep ran)."
	@echo "Metrics: http://$(HOST):$(PORT)/metrics (Prometheus; from this machine only: METRICS_ALLOWED_IPS=$${METRICS_ALLOWED_IPS:-127.0.0.1,::1})."
	export TRACKER_BASE_URL="$${TRACKER_BASE_URL:-http://$(HOST):$(PORT)}"; \
	export METRICS_ENABLED="$${METRICS_ENABLED:-true}" METRICS_ALLOWED_IPS="$${METRICS_ALLOWED_IPS:-127.0.0.1,::1}"; \
	export PROMETHEUS_MULTIPROC_DIR="$${PROMETHEUS_MULTIPROC_DIR:-$(CURDIR)/var/metrics}"; \
	mkdir -p "$$PROMETHEUS_MULTIPROC_DIR" && rm -f "$$PROMETHEUS_MULTIPROC_DIR"/*.db; \
	trap 'kill 0' EXIT INT TERM; \
	$(BIN)/celery -A config worker --beat --pool=solo --loglevel=INFO \
		--schedule=var/celerybeat-schedule & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# --- Benchmarks (bench/README.md): never part of `make test` -------------------------------
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tracker_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/7

bench: install
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	DATABASE_URL="$${DATABASE_URL:-$(BENCH_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(BENCH_REDIS_URL)}" \
		$(BIN)/python -m bench.run $(BENCH_ARGS)
	case "$(BENCH_ARGS)" in *--only*) ;; *) $(BIN)/python -m bench.rada_sync ;; esac

clean:
	rm -rf var .pytest_cache test-output
