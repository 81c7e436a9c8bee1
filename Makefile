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

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
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

test: dev system-deps
	$(BIN)/python -m pytest

lint:
	$(BIN)/ruff check his tests migrations scripts
	$(BIN)/ruff format --check his tests migrations scripts

typecheck:
	$(BIN)/mypy his
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
