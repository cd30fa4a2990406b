# The two commands: `make run` starts the whole system, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
GO ?= go

.PHONY: run test bench bench-aggregator venv aggregator assets schema demo clean

run: venv aggregator assets
	$(PY) -m devserver.run

test: venv aggregator assets
	$(PY) -m devserver.run_tests

# Benchmarks (not part of `make test`): tables on stdout, JSON in bench/results/. See bench/README.md.
bench: venv aggregator
	$(PY) -m bench.http

bench-aggregator: venv aggregator
	$(PY) -m bench.aggregator

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

aggregator:
	@if [ -f go_aggregator/go.mod ]; then cd go_aggregator && $(GO) build -o bin/aggregator ./cmd/aggregator; fi

# GraphiQL's browser files (react, graphiql) from npm into frontend/node_modules (git-ignored), served by Django.
# npm runs only when they are missing or package-lock.json changed.
assets: frontend/node_modules/.package-lock.json

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

schema: venv
	$(PY) -m schema.export

# Demo users demo1..demoN (password demo-password-123) with realistic transactions, in the database `make run`
# uses (DATABASE_URL, default var/db.sqlite3). `make demo DEMO_ARGS=--reset` replaces existing demo users.
DEMO_USERS ?= 5
DEMO_TRANSACTIONS ?= 20000
demo: venv
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo --users $(DEMO_USERS) --transactions $(DEMO_TRANSACTIONS) $(DEMO_ARGS)

clean:
	rm -rf $(VENV) var go_aggregator/bin frontend/node_modules clients/js/node_modules
