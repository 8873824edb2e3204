# One command per chore. Each target bootstraps .venv from a bare Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

DEMO := .demo
DEMO_ENV := CONTACTENGINE_DATABASE_URL=$(DEMO)/ledger.db

# The main job on the embedded defaults: a SQLite ledger seeded from examples/, a day of
# planned messages, and two dispatch runs (11:00 and 17:30 in New York) through the outbox.
demo: $(STAMP)
	$(BIN)/contactengine check rules/ --templates templates/ --channels channels/
	# The last request is invalid on purpose: it is answered in its place, and decide exits 1.
	$(BIN)/contactengine decide --rules rules/ --format table examples/requests.jsonl; test $$? -eq 1
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(DEMO_ENV) $(BIN)/contactengine db load examples/ledger.jsonl
	$(DEMO_ENV) $(BIN)/contactengine plan examples/plan.csv
	$(DEMO_ENV) $(BIN)/contactengine dispatch --once --outbox-only --now 2026-06-09T15:00:00Z \
		--outbox $(DEMO)/outbox --log $(DEMO)/dispatch.log
	$(DEMO_ENV) $(BIN)/contactengine dispatch --once --outbox-only --now 2026-06-09T21:30:00Z \
		--outbox $(DEMO)/outbox --log $(DEMO)/dispatch.log
	@echo "Messages: $(DEMO)/outbox/   Log: $(DEMO)/dispatch.log   Ledger: $(DEMO)/ledger.db"

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.run

check: $(STAMP)
	$(BIN)/contactengine check rules/ --templates templates/ --channels channels/

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
