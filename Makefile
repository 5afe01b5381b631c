# CADE Grants — development and CI entry points (GNU make).
#
#   make run     install, compile translations, migrate, seed demo data, then start
#                the Celery worker + beat in the background and the web server
#   make serve   production serving: gunicorn with gunicorn.conf.py and CADE_ENV=production,
#                configured by the variables in .env (docs/deploy.md); no demo data, no worker
#   make test    the whole suite twice: embedded defaults, then PostgreSQL + Redis
#   make bench   every benchmark in bench/ (bench/README.md): pages at 100,000 applications, the funding
#                summary against psql, automatic assignment, the enrolment rush, the submission burst,
#                e-mail delivery, memory under load and page weight; figures go to bench/RESULTS.md
#   make bench-quick  the same at small scale, writing no results (part of `make test`)
#   make bench-full  that funding-summary benchmark at the bar's scale, 1,000,000 applications
#                (a few minutes; the same as `make bench BENCH_APPLICATIONS=1000000` without the pages)
#   make clean   remove the virtualenv, caches and compiled translations

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
CELERY := $(BIN)/celery -A wsgi.celery_app
# Rewritten whenever a requirements file changes, so installs rerun only then:
# `make install` takes what the system runs with, `make install-dev` adds the test tools.
STAMP := $(VENV)/.requirements-installed
DEV_STAMP := $(VENV)/.requirements-dev-installed

HOST ?= 127.0.0.1
PORT ?= 5000
TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/cade_test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# Test processes (pytest-xdist): one per core; each has its own database (tests/conftest.py).
TEST_PROCESSES ?= auto
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_PROCESSES) --dist loadfile
# Python that fails unless PostgreSQL accepts a login and Redis answers a PING.
SERVICES_ANSWER := import psycopg, redis; psycopg.connect("$(TEST_PG_URL)".rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close(); redis.Redis.from_url("$(TEST_REDIS_URL)", socket_connect_timeout=3).ping()

.PHONY: help venv install install-dev serve security audit-deps translations migrate seed run lint translations-update test test-embedded test-services \
	bench bench-reports bench-full bench-pages bench-assign bench-rush bench-burst bench-delivery bench-memory bench-weight bench-quick bench-quick-lane1 bench-quick-lane2 \
	test-bench clean

help:
	@echo "Targets: install, install-dev, translations, migrate, seed, run, serve, test, bench, bench-full, clean"

venv: $(BIN)/python

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(STAMP)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

install-dev: $(DEV_STAMP)

$(DEV_STAMP): requirements.txt requirements-dev.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The catalogues may not exist yet; without them there is nothing to compile.
translations: install
	@if [ -d cade/translations ]; then \
		$(BIN)/pybabel compile -f -d cade/translations; \
	else \
		echo "No cade/translations folder yet: no translations to compile."; \
	fi

# After marking new strings: refresh messages.pot and the catalogues, then
# translate the new (empty) entries in cade/translations/*/LC_MESSAGES/messages.po;
# tests/test_translations.py fails while any is left empty.
translations-update: install
	$(BIN)/pybabel extract -F babel.cfg --ignore-dirs '.* __pycache__' -k _l -k lazy_gettext \
		-k ngettext:1,2 -k lazy_ngettext:1,2 -o messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i messages.pot -d cade/translations --no-fuzzy-matching

migrate: install
	$(FLASK) db upgrade

seed: install
	$(FLASK) seed-demo

# The embedded broker is kombu's SQLAlchemy transport on one SQLite file. A
# prefork worker would fork child processes that inherit SQLite connections
# (unsafe across fork) and compete for SQLite's single writer lock, so the
# worker runs tasks in its own process (--pool=solo), one at a time, which is
# plenty for one developer. With Redis or RabbitMQ in CELERY_BROKER_URL use
# `celery -A wsgi.celery_app worker` with its default prefork pool instead.
# Links in e-mails (BASE_URL, read by the web server and the worker alike) follow the
# host and port served here unless BASE_URL is set in the environment or in .env.
# Background jobs ignore Ctrl-C in a non-interactive shell, so the trap is what
# stops the worker and beat when the web server exits, however it exits.
run: install translations migrate seed
	@mkdir -p instance; \
	if [ -z "$${BASE_URL:-}" ] && ! grep -qs '^BASE_URL=' .env; then \
		export BASE_URL="http://$(HOST):$(PORT)"; \
	fi; \
	pids=""; \
	trap 'echo "Stopping the Celery worker and beat..."; kill $$pids 2>/dev/null || true; wait $$pids 2>/dev/null || true' EXIT; \
	trap 'exit 130' INT TERM; \
	$(CELERY) worker --loglevel=info --pool=solo & pids="$$pids $$!"; \
	$(CELERY) beat --loglevel=info --schedule instance/celerybeat-schedule & pids="$$pids $$!"; \
	echo; \
	echo "CADE Grants:      http://$(HOST):$(PORT)/"; \
	echo "Dev mailbox:      http://$(HOST):$(PORT)/dev/mailbox"; \
	$(BIN)/python -c 'from cade.demo.cli import print_logins; print_logins()'; \
	echo "Press Ctrl-C to stop."; \
	echo; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production serving, as docs/deploy.md runs it: the variables come from .env (or the
# environment), and the app refuses to start with a development secret key, SQLite under
# several processes, or a rate-limit store in one process's memory (cade/core/production.py).
serve: install translations
	CADE_ENV=production $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# Any failing pass fails the target; pytest's exit code 5 (no tests collected)
# is non-zero and so counts as a failure too.
test: install-dev translations lint security
	@status=0; \
	$(MAKE) --no-print-directory test-embedded || status=1; \
	$(MAKE) --no-print-directory test-services || status=1; \
	$(MAKE) --no-print-directory test-bench || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED (see the passes above)" >&2; fi; \
	exit $$status

lint: install-dev
	$(BIN)/ruff check .

# Static security analysis: nothing of medium or high severity in the code that runs (bandit -ll).
# A finding judged false carries `# nosec <test id>: <why>` on its line. Then the dependencies' audit.
security: install-dev audit-deps
	$(BIN)/bandit -q -r cade tasks -ll

# No pinned requirement with a known vulnerability (pip-audit against PyPI's advisory feed). Where
# the feed cannot be reached, or knows none of the versions (a mirror), it says
# "pip-audit skipped: <why>" and passes; a vulnerability, or a requirement left unchecked while
# the others were checked, fails (tests/pip_audit_gate.py).
audit-deps: install-dev
	$(BIN)/python -m tests.pip_audit_gate requirements.txt requirements-dev.txt

test-embedded: install-dev
	@echo "=== pytest pass 1/2: embedded defaults (SQLite, in-memory broker) ==="
	env -u TEST_DATABASE_URL -u TEST_BROKER_URL $(PYTEST)

# The browser tests (tests/e2e) run in the first pass only: they drive pages, and every rule
# behind a page runs in both passes through the other tests, while a browser pass costs about
# four minutes. The production-shaped and fault tests (tests/production, tests/faults) run in
# this pass only: they need PostgreSQL, Redis and RabbitMQ. `make test-services
# SERVICES_PASS_SKIPS=` runs the browser tests here too.
SERVICES_PASS_SKIPS ?= --ignore=tests/e2e
# Outside CI a machine without the servers skips this pass, loudly; in CI
# (CI=true) a missing server is a failure, never a silent pass.
# The benchmarks at small scale (make bench-quick, under a minute): to keep them working, not to time them.
# They need PostgreSQL, like the second pass.
test-bench: install-dev
	@echo "=== the benchmarks at small scale (make bench-quick) ==="
	@if $(BIN)/python -c '$(SERVICES_ANSWER)' 2>/dev/null; then \
		$(MAKE) --no-print-directory bench-quick; \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "PostgreSQL ($(TEST_PG_URL)) is not answering, and CI=true: FAILING the benchmarks." >&2; \
		exit 1; \
	else \
		echo "SKIPPED the small-scale benchmarks: PostgreSQL is not answering."; \
	fi

test-services: install-dev
	@echo "=== pytest pass 2/2: PostgreSQL + Redis ==="
	@if $(BIN)/python -c '$(SERVICES_ANSWER)' 2>/dev/null; then \
		TEST_DATABASE_URL=$(TEST_PG_URL) TEST_BROKER_URL=$(TEST_REDIS_URL) $(PYTEST) $(SERVICES_PASS_SKIPS); \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "PostgreSQL ($(TEST_PG_URL)) or Redis ($(TEST_REDIS_URL)) is not answering, and CI=true: FAILING." >&2; \
		exit 1; \
	else \
		echo ""; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		echo "!! SKIPPED pytest pass 2/2: PostgreSQL or Redis is not answering.       !!"; \
		echo "!! Start them (see .ci/run) to test on the production databases.        !!"; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		echo ""; \
	fi

# The report benchmark creates and drops its own database, BENCH_PG_URL; BENCH_FLAGS may add
# --strict (exit 1 on a missed bar), --keep and --reuse (see `bench/reports.py --help`).
BENCH_PG_URL ?= postgresql://postgres@127.0.0.1:5432/cade_bench
BENCH_APPLICATIONS ?= 20000
BENCH_FLAGS ?=
BENCH_PG_ANSWERS := import psycopg; psycopg.connect("$(BENCH_PG_URL)".rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()

# The benchmarks at scale on PostgreSQL (issue 18, bench/README.md); each creates and drops its own database.
BENCH_PAGES_URL ?= postgresql://postgres@127.0.0.1:5432/cade_bench_pages
BENCH_ASSIGN_URL ?= postgresql://postgres@127.0.0.1:5432/cade_bench_assign
BENCH_RUSH_URL ?= postgresql://postgres@127.0.0.1:5432/cade_bench_rush
BENCH_BURST_URL ?= postgresql://postgres@127.0.0.1:5432/cade_bench_burst
BENCH_DELIVERY_URL ?= postgresql://postgres@127.0.0.1:5432/cade_bench_delivery
BENCH_MEMORY_URL ?= postgresql://postgres@127.0.0.1:5432/cade_bench_memory
BENCH_PAGES_FLAGS ?=

# Every benchmark runs even when one fails; any failing fails the target.
bench: install-dev
	@status=0; \
	$(BIN)/python bench/run.py || status=1; \
	$(MAKE) --no-print-directory bench-reports || status=1; \
	$(MAKE) --no-print-directory bench-pages || status=1; \
	$(MAKE) --no-print-directory bench-assign || status=1; \
	$(MAKE) --no-print-directory bench-rush || status=1; \
	$(MAKE) --no-print-directory bench-burst || status=1; \
	$(MAKE) --no-print-directory bench-delivery || status=1; \
	$(MAKE) --no-print-directory bench-memory || status=1; \
	$(MAKE) --no-print-directory bench-weight || status=1; \
	exit $$status

bench-pages: install-dev
	$(BIN)/python bench/pages.py --url $(BENCH_PAGES_URL) $(BENCH_PAGES_FLAGS)

bench-assign: install-dev
	$(BIN)/python bench/assignment.py --url $(BENCH_ASSIGN_URL)

bench-rush: install-dev
	$(BIN)/python bench/rush.py --url $(BENCH_RUSH_URL)

bench-burst: install-dev
	$(BIN)/python bench/burst.py --url $(BENCH_BURST_URL)

bench-delivery: install-dev
	$(BIN)/python bench/delivery.py --url $(BENCH_DELIVERY_URL)

bench-memory: install-dev
	$(BIN)/python bench/memory.py --url $(BENCH_MEMORY_URL)

bench-weight: install-dev
	$(BIN)/python bench/weight.py

# The same at small scale, writing no results: `make test` runs it to keep the benchmarks working. Two lanes
# at once, each benchmark one after the other within its lane: each is mostly one Python process, and the
# machine has two cores. A lane's output is shown when the lane ends; every benchmark runs even when one
# fails. The rush and the burst share a Redis queue and address range, so they share a lane.
bench-quick: install-dev
	@$(MAKE) --no-print-directory -k -j2 --output-sync=target bench-quick-lane1 bench-quick-lane2

bench-quick-lane1:
	@status=0; \
	$(BIN)/python bench/pages.py --quick --no-results --url $(BENCH_PAGES_URL)_quick || status=1; \
	$(BIN)/python bench/rush.py --quick --url $(BENCH_RUSH_URL)_quick || status=1; \
	$(BIN)/python bench/burst.py --quick --url $(BENCH_BURST_URL)_quick || status=1; \
	$(BIN)/python bench/assignment.py --quick --url $(BENCH_ASSIGN_URL)_quick || status=1; \
	exit $$status

bench-quick-lane2:
	@status=0; \
	$(BIN)/python bench/weight.py --quick || status=1; \
	$(BIN)/python bench/memory.py --quick --url $(BENCH_MEMORY_URL)_quick || status=1; \
	$(BIN)/python bench/delivery.py --quick --url $(BENCH_DELIVERY_URL)_quick || status=1; \
	exit $$status

bench-reports: install-dev
	@if ! command -v psql >/dev/null; then \
		echo "SKIPPED the funding-summary benchmark (bench/reports.py): psql is not installed."; \
	elif $(BIN)/python -c '$(BENCH_PG_ANSWERS)' 2>/dev/null; then \
		$(BIN)/python bench/reports.py --applications $(BENCH_APPLICATIONS) --url $(BENCH_PG_URL) $(BENCH_FLAGS); \
	else \
		echo "SKIPPED the funding-summary benchmark (bench/reports.py): PostgreSQL is not answering at $(BENCH_PG_URL)."; \
	fi

bench-full:
	@$(MAKE) --no-print-directory bench-reports BENCH_APPLICATIONS=1000000

# instance/ (the development database, uploads, mailbox) is kept: it is data, not build output.
clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find cade -name '*.mo' -delete
	@echo "Kept instance/ (database, uploads, mailbox); delete it by hand for fresh demo data."
