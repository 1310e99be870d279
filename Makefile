# I-fixit: `make run` starts the whole system with demo data; `make test` runs the suite.
# Both install everything they need first (Python packages from PyPI, htmx from npm).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install run test test-production test-browser test-contract bench bench-feeds bench-reports bench-analytics bench-ml bench-jobs bench-load clean help

help:
	@echo "make run    - install, migrate, load demo data and start web, worker, beat and Redis"
	@echo "make test   - install and run the whole test suite"

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Checks ports and var/, sets up (migrations, roles, schedules, demo data, the simulator's
# auction source) with a Redis of its own, then starts the Procfile's processes (ifixit/run.py).
run: install
	$(PY) -m ifixit.run

# The layers first (pyproject.toml [tool.importlinter]: imports point down), then the suite; the
# last run's metrics files go first (each run counts afresh, and scrapes stay quick).
test: install
	$(VENV)/bin/lint-imports --no-cache
	rm -rf $(CURDIR)/var/test/metrics
	IFIXIT_VAR_DIR=$(CURDIR)/var/test $(VENV)/bin/pytest $(PYTEST_ARGS)

# The production profile locally: a throw-away PostgreSQL 15 and redis-server on loopback
# (installed from Debian packages where missing), the suite run against them through
# DATABASE_URL and REDIS_URL, and both stopped again whatever the outcome.
test-production: install
	bash .ci/services.sh run $(MAKE) test

test-browser: install
	IFIXIT_VAR_DIR=$(CURDIR)/var/test $(VENV)/bin/pytest -m browser $(PYTEST_ARGS)

# The API against its own OpenAPI schema: the demo system started on ports of its own, then
# schemathesis (all checks) as an admin and as a one-location manager; CI runs it too.
test-contract: install
	bash .ci/contract.sh

bench: install
	$(PY) bench/run.py

bench-feeds: install
	$(PY) bench/feeds.py $(BENCH_ARGS)

bench-reports: install
	$(PY) bench/reports.py $(BENCH_ARGS)

bench-analytics: install
	$(PY) bench/analytics.py $(BENCH_ARGS)

bench-ml: install
	$(PY) bench/ml.py $(BENCH_ARGS)

bench-jobs: install
	$(PY) bench/jobs.py $(BENCH_ARGS)

# 50 simulated staff (locust, headless, 60 s) against the system's own processes in var/bench-load.
bench-load: install
	$(PY) bench/load.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules staticfiles var/test
