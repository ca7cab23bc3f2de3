# PersX — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
MANAGE := $(PY) manage.py

.PHONY: run serve simulate test bench loadtest install install-dev migrate seed lint check-services test-services browser-deps clean

$(VENV)/.base-installed: requirements/base.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q --upgrade pip
	$(PY) -m pip install --disable-pip-version-check -q -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.base-installed requirements/dev.txt
	$(PY) -m pip install --disable-pip-version-check -q -r requirements/dev.txt
	touch $@

install: $(VENV)/.base-installed
install-dev: $(VENV)/.dev-installed

migrate: install
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) seed_demo

## Install, migrate, load the demo content and serve the site on http://127.0.0.1:$(PORT)
run: seed
	$(MANAGE) collectstatic --noinput -v 0
	@$(MANAGE) demo_banner --port $(PORT)
	@# Background jobs run from the task queue (persx/jobs): one worker for the periodic
	@# jobs, one for draft batches and email sends (so a long batch or send never holds up
	@# the monitor); the health
	@# monitor (a pass a minute) and the bandit update (every 10 minutes) are queued by their
	@# --every loops, so the dashboard and the bandits stay alive. All stop with the server.
	@$(MANAGE) persx_worker --queue-name default > var/worker.log 2>&1 & worker=$$!; \
	$(MANAGE) persx_worker --queue-name drafts,email > var/drafts.log 2>&1 & drafts=$$!; \
	$(MANAGE) persx_monitor --every 60 --enqueue > var/monitor.log 2>&1 & monitor=$$!; \
	$(MANAGE) persx_bandit_update --every 600 --enqueue > var/bandit.log 2>&1 & bandits=$$!; \
	trap 'kill $$worker $$drafts $$monitor $$bandits 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) runserver 127.0.0.1:$(PORT)

## The production setup on this machine: gunicorn (deploy/gunicorn.conf.py) with the
## production settings on PostgreSQL + Redis (DATABASE_URL / REDIS_URL; local defaults).
## Plain http on 127.0.0.1, so TLS-only settings are relaxed (PERSX_TLS=0).
SERVE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/persx
SERVE_REDIS_URL ?= redis://127.0.0.1:6379/0
serve: install
	@export DATABASE_URL=$${DATABASE_URL:-$(SERVE_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(SERVE_REDIS_URL)} \
	  DJANGO_SETTINGS_MODULE=persx.settings.production PERSX_TLS=$${PERSX_TLS:-0} \
	  PERSX_BIND=$${PERSX_BIND:-127.0.0.1:$(PORT)}; \
	export DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-$$($(PY) scripts/install_secret_key.py)}; \
	$(PY) scripts/ensure_database.py && \
	$(MANAGE) migrate --noinput && $(MANAGE) persx_database_roles && \
	$(MANAGE) persx_events_partitions --ahead 3 && $(MANAGE) seed_demo && \
	$(MANAGE) collectstatic --noinput -v 0 && \
	echo "Serving the production setup on http://$$PERSX_BIND (gunicorn; Ctrl-C stops)" && \
	exec $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py persx.wsgi

## A small simulated history for the reports (through the real request paths). Size:
## make simulate VISITORS=1500 (measured: ~18 visitors/s on an idle 2-core machine,
## ~5/s when it is busy). Visitors come from planted companies (--accounts) and a planted CRM
## export of their leads' pipeline is imported. Afterwards pli-contact is stopped; undo:
## simulate_traffic --clear.
VISITORS ?= 400
DAYS ?= 14
simulate: seed
	$(MANAGE) simulate_traffic --visitors $(VISITORS) --days $(DAYS) --lift 0.3 --baseline 0.08 --accounts

## Browser tests need Debian's chromium: installed with apt when missing and we are root.
## Without it they skip loudly; under CI=true the run fails instead (scripts/test_services.py).
browser-deps:
	@$(PYTHON) scripts/test_services.py chromium
	@$(PYTHON) scripts/test_services.py promtool

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	DJANGO_SETTINGS_MODULE=persx.settings.test $(MANAGE) makemigrations --check --dry-run

## Every test: lint, type checks, import contract, migrations check, then the suite on
## SQLite + locmem with branch coverage (in TEST_PROCESSES processes, pytest-xdist), then the
## Django suite again on PostgreSQL + Redis, also in TEST_PROCESSES processes (each with its
## own test database and its own Redis database: persx/settings/test.py; tests that start
## their own server on SQLite run once, in the first pass).
## Without PostgreSQL/Redis that second pass is skipped loudly; under CI=true they are
## started (scripts/test_services.py) and the run fails if they do not come up.
## Branch coverage is collected in both passes (the second appends to the first's .coverage,
## so PostgreSQL-only code counts) and reported once after them: the whole tree at or above
## fail_under in pyproject.toml, persx/engine at 100%. Without the services: the first
## pass's data alone. Each pass lists its 15 slowest tests (the suite must stay under 30
## minutes on 2 cores).
TEST_PROCESSES ?= 2
test: install-dev browser-deps lint
	$(PY) -m pytest -n $(TEST_PROCESSES) --cov --cov-report= --durations=15
	@$(MAKE) --no-print-directory test-services SERVICES_COVERAGE="--cov --cov-append --cov-report="
	$(PY) -m coverage report
	$(PY) -m coverage report --include="persx/engine/*" --fail-under=100 --skip-covered

# `make test` passes SERVICES_COVERAGE; alone, this pass measures nothing.
SERVICES_COVERAGE ?=
test-services: install-dev
	@$(PY) scripts/test_services.py services; status=$$?; \
	if [ $$status -eq 0 ]; then \
	  echo "== Django suite on PostgreSQL + Redis =="; \
	  DATABASE_URL=$${PERSX_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/persx} \
	  REDIS_URL=$${PERSX_TEST_REDIS_URL:-redis://127.0.0.1:6379/1} \
	  $(PY) -m pytest -n $(TEST_PROCESSES) tests/web -m "not browser and not own_server" -p no:cacheprovider \
	    --durations=15 $(SERVICES_COVERAGE); \
	elif [ $$status -eq 1 ]; then \
	  echo "!!! SKIPPED: PostgreSQL/Redis suite (services not reachable; see message above)"; \
	  $(if $(SERVICES_COVERAGE),echo "!!! Coverage below: the SQLite pass alone";) \
	else \
	  exit $$status; \
	fi

## Benchmarks (not part of `make test`): PersX vs a stock Wagtail project on the production
## settings (PostgreSQL + Redis: databases persx_bench and stock_bench, Redis dbs 14/15,
## recreated each run), memory per worker, command start, the in-process figures and the
## scale benches (PERSX_BENCH_SCALE=full for 10 M / 50 M events). Prints goal vs measured;
## exits non-zero when a ratio goal fails. Output kept in bench/results/. One part:
## make bench BENCH_PARTS="page workers" (page | workers | commands | inprocess | scale).
BENCH_PARTS ?=
bench: install-dev
	$(PY) bench/run.py $(BENCH_PARTS)

## Load and fault tests of the production setup (not part of `make test`; ~50 minutes):
## calibrate the sustainable rate, 2x that for 5 minutes, database/Redis cut for 30 s and a
## worker SIGKILLed under load, a 30-minute soak. Its own database and Redis db; 127.0.0.1
## only; results in var/loadtest/<time>/results.json (docs/operations.md).
## LOADTEST_MODE=calibrate|overload|faults|soak runs one step; LOADTEST_ARGS="--users 20".
LOADTEST_MODE ?= all
loadtest: install-dev
	$(PY) -m loadtest.run $(LOADTEST_MODE) $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
