# The whole developer interface: make run · make test · make bench · make lint
# Each target installs what is missing and is safe to repeat.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_DIR := data/demo/returns
WAREHOUSE := data/warehouse.duckdb

.PHONY: run test bench load lint format system-deps demo warehouse clean-demo

# The virtualenv is rebuilt only when the pinned requirement files change.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

system-deps:
	@scripts/system_deps.sh

# Demo returns: generated once by a seeded generator (identical output for the same seed).
$(DEMO_DIR)/manifest.json: $(VENV)/.installed
	@$(PY) -m pipeline.demo --out $(DEMO_DIR)

demo: $(DEMO_DIR)/manifest.json

# The demo warehouse is built from the demo returns when it does not exist yet.
# Exit code 1 means "some files were rejected", which the demo returns include on purpose.
$(WAREHOUSE): $(DEMO_DIR)/manifest.json
	@$(PY) -m pipeline --warehouse $(WAREHOUSE) ingest $(DEMO_DIR) --quiet; status=$$?; \
	  if [ $$status -gt 1 ]; then exit $$status; fi

warehouse: $(WAREHOUSE)

run: $(VENV)/.installed
	@scripts/system_deps.sh --soft
	@$(MAKE) --no-print-directory $(WAREHOUSE)
	@scripts/run_dashboard.sh

test: $(VENV)/.installed system-deps
	@scripts/run_tests.sh

bench: $(VENV)/.installed system-deps
	@$(PY) -m benchmarks

# Not part of make test: 20 signed-in Chromium sessions page through the dashboard while two command-line batches
# and one upload land (a few minutes); figures in artifacts/load.json, exit 1 if a session saw an error or a batch
# did not land whole.
load: $(VENV)/.installed system-deps
	@$(PY) -m benchmarks.load

lint: $(VENV)/.installed
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

clean-demo:
	rm -rf $(DEMO_DIR) $(WAREHOUSE) $(WAREHOUSE).wal
