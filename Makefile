# supertenant — two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONSTRAINTS := constraints/constraints.txt

CHROMIUM := /usr/bin/chromium
PROMTOOL := /usr/bin/promtool
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck unit integration install constraints clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e ".[superset,bigquery,chat,dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/supertenant demo run

# Browser tests drive Debian's Chromium (Playwright's own browser download does not work offline).
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq chromium fonts-noto-cjk

# Alert rules are checked with promtool, and the metering test scrapes with a real Prometheus.
$(PROMTOOL):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq prometheus

test: $(STAMP) $(CHROMIUM) $(PROMTOOL)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP) $(CHROMIUM) $(PROMTOOL)
	$(BIN)/pytest tests/integration

# Re-pin after changing dependencies: installs unpinned into a scratch venv and freezes it.
constraints:
	rm -rf .venv-constraints && $(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/pip install --quiet -e ".[superset,bigquery,chat,dev]"
	{ head -3 $(CONSTRAINTS); .venv-constraints/bin/pip freeze --exclude-editable | sort -f; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS) && rm -rf .venv-constraints

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
