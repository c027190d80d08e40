# Two commands do all set-up: `make run` serves the service, `make test` runs every test.
PYTHON ?= python3
BIN := .venv/bin

.PHONY: run test lint install bench clean

install:
	@bash scripts/bootstrap.sh

run: install
	$(BIN)/flask --app commentsvc --debug db upgrade
	$(BIN)/python scripts/run_dev.py

test:
	@bash scripts/test.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf .venv instance/*.sqlite3*
