# Two commands for a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export FLASK_APP := app

.PHONY: run test venv lint test-sqlite test-postgres bench drills cluster cluster-drill clean

$(BIN)/activate: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "需要 Python 3.11 ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(BIN)/activate

venv: $(BIN)/activate

run: venv
	@mkdir -p instance
	APP_ENV=development $(BIN)/flask db upgrade
	APP_ENV=development $(BIN)/flask seed-demo
	@echo "Serving on http://127.0.0.1:$(PORT)  (API docs: http://127.0.0.1:$(PORT)/docs)"
	APP_ENV=development $(BIN)/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:$(PORT) "app:create_app()"

lint: venv
	$(BIN)/ruff check .

# SQLite always; PostgreSQL and Redis when reachable (under CI=true their absence fails).
test: venv lint
	$(BIN)/python -m tests.run_all

bench: venv
	$(BIN)/python -m bench.run

drills: venv
	$(BIN)/python -m bench.drills

# Two app nodes behind HAProxy, a PostgreSQL primary + streaming replica, Redis: all private,
# on free loopback ports (bench/cluster.py). `cluster` serves until Ctrl-C; `cluster-drill`
# stops a node and the replica under load and checks the outcome (a few minutes).
cluster: venv
	$(BIN)/python -m bench.cluster serve

cluster-drill: venv
	$(BIN)/python -m bench.cluster drill

clean:
	rm -rf $(VENV) instance *.egg-info
