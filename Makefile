# Quick start: `make run` serves the app on http://127.0.0.1:8000; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

CHROMIUM := /usr/bin/chromium

.PHONY: run test lint browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[test,bench,ray]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/uvicorn app.main:app --http app.server:HttpProtocol --host 127.0.0.1 --port 8000 \
		--timeout-graceful-shutdown 30

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app
	$(BIN)/hadolint Dockerfile

# The browser tests drive Debian's Chromium; install it when it is missing (needs root).
browser:
	@test -x $(CHROMIUM) || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-nanum; }

test: $(STAMP) lint browser
	node --test tests/js/
	$(BIN)/pytest
