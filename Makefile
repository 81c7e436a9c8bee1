# Two commands for a fresh machine: `make run` (demo hospital on SQLite) and `make test` (whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HIS_DATABASE_URL ?= sqlite+aiosqlite:///./var/his.db
HOST ?= 127.0.0.1
PORT ?= 8000
export HIS_DATABASE_URL

.PHONY: run test install dev system-deps lint typecheck i18n clean bench-import

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml native/*.pyx | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml native/*.pyx $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

run: install
	mkdir -p var
	$(BIN)/his db upgrade
	$(BIN)/his demo seed --if-empty
	@echo "Serving on http://$(HOST):$(PORT) — stop with Ctrl+C"
	$(BIN)/his serve --host $(HOST) --port $(PORT)

# Debian packages the tests use: a PostgreSQL server (the suite starts a throwaway cluster from its binaries),
# Chromium for the browser tests, and DejaVu fonts (Vietnamese glyphs in printed PDFs). Installed only when missing and when we may (root).
system-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing (sudo apt-get install$$missing); their tests will be skipped"; \
	  fi; \
	fi

# Two processes at once: everything but the browser tests on $(TEST_WORKERS) workers (pytest-xdist; each starts its
# own PostgreSQL), and the browser tests in a process of their own (Playwright keeps an event loop in the main
# thread, so they never share a process with tests that call asyncio.run; the worker pass yields the CPU to their
# timed steps); their report follows the first one's.
TEST_WORKERS ?= 2
test: dev system-deps
	@mkdir -p var
	@$(BIN)/python -m pytest tests/e2e > var/browser-tests.log 2>&1 & browser=$$!; \
	nice -n 5 $(BIN)/python -m pytest -n $(TEST_WORKERS) --ignore=tests/e2e; suite=$$?; \
	wait $$browser; browser_status=$$?; \
	echo "---- browser tests (var/browser-tests.log) ----"; cat var/browser-tests.log; \
	exit $$(( suite || browser_status ))

lint:
	$(BIN)/ruff check his cdss perf tests migrations scripts
	$(BIN)/ruff format --check his cdss perf tests migrations scripts

typecheck:
	$(BIN)/mypy
	$(BIN)/lint-imports

i18n:
	$(BIN)/python scripts/i18n.py extract

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache

# Imports ICD-10 twice into a fresh database; the command prints its own time (docs/performance.md).
BENCH_DB ?= sqlite+aiosqlite:///./var/bench-icd10.db
bench-import: install
	rm -f ./var/bench-icd10.db
	mkdir -p var
	HIS_DATABASE_URL=$(BENCH_DB) $(BIN)/his db upgrade
	HIS_DATABASE_URL=$(BENCH_DB) $(BIN)/his catalog import icd10
	HIS_DATABASE_URL=$(BENCH_DB) $(BIN)/his catalog import icd10

# Level-1 load (docs/performance.md, "Level-1 load (Locust)"; perf/README.md): a throwaway PostgreSQL database with
# the demo hospital, two server workers on 127.0.0.1:$(LOAD_PORT), Locust headless for $(DURATION), then the table.
# The server stops when Locust does (trap), even on Ctrl+C. Needs Locust (dev dependencies) and a PostgreSQL server.
LOAD_PG   ?= -h 127.0.0.1 -U postgres
LOAD_NAME ?= his_load
LOAD_DB   ?= postgresql+asyncpg://postgres@127.0.0.1:5432/$(LOAD_NAME)
LOAD_PORT ?= 8099
USERS     ?= 40
SPAWN     ?= 4
DURATION  ?= 5m
# The per-account API limit of the load server. Every user of a role shares its demo account, hence its limit:
# raise it with USERS (about 10 x USERS) for runs past 80 users, or the doctors' account gets 429s a clinic would not.
LOAD_API_LIMIT ?= 600
.PHONY: load
load: install
	@test -x $(BIN)/locust || { echo "Locust is missing: $(BIN)/pip install locust (a dev dependency)"; exit 1; }
	mkdir -p var/load
	dropdb $(LOAD_PG) --if-exists $(LOAD_NAME)
	createdb $(LOAD_PG) $(LOAD_NAME)
	HIS_DATABASE_URL=$(LOAD_DB) $(BIN)/his db upgrade
	HIS_DATABASE_URL=$(LOAD_DB) $(BIN)/his demo seed
	@HIS_DATABASE_URL=$(LOAD_DB) HIS_SECURITY__API_REQUESTS_PER_MINUTE=$(LOAD_API_LIMIT) $(BIN)/his serve --workers 2 --host 127.0.0.1 --port $(LOAD_PORT) >var/load/server.log 2>&1 & \
	server=$$!; trap 'kill $$server 2>/dev/null; wait $$server 2>/dev/null' EXIT INT TERM; \
	ready=""; for i in $$(seq 60); do \
	  if curl -fsS -o /dev/null http://127.0.0.1:$(LOAD_PORT)/health/ready 2>/dev/null; then ready=1; break; fi; sleep 1; \
	done; \
	if [ -z "$$ready" ]; then echo "the server did not become ready: var/load/server.log"; exit 1; fi; \
	echo "server ready (pid $$server); Locust: $(USERS) users, $(SPAWN)/s, $(DURATION)"; \
	status=0; $(BIN)/locust -f perf/locustfile.py --headless -u $(USERS) -r $(SPAWN) -t $(DURATION) \
	  --host http://127.0.0.1:$(LOAD_PORT) --csv var/load/load --only-summary || status=$$?; \
	kill $$server; wait $$server 2>/dev/null; trap - EXIT INT TERM; \
	$(BIN)/python perf/report.py var/load/load | tee var/load/report.md; \
	exit $$status

# The interaction kernel, Cython against pure Python (docs/performance.md, "Interaction kernel (Cython vs pure
# Python)"): pytest-benchmark timings of one full check and of the whole-hospital screening.
.PHONY: bench-cdss
bench-cdss: dev
	$(BIN)/python -m pytest tests/perf/test_benchmarks.py tests/perf/test_check_benchmark.py --benchmark-only --benchmark-columns=min,median,mean,stddev
