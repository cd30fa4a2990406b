# The two commands: `make run` starts the whole system, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
GO ?= go

.PHONY: run test bench bench-live bench-aggregator bench-migration venv venv-dev lock aggregator assets schema demo clean

run: venv aggregator assets
	$(PY) -m devserver.run

test: venv-dev aggregator assets
	$(PY) -m devserver.run_tests

# Benchmarks (not part of `make test`): tables on stdout, JSON in bench/results/. See bench/README.md.
bench: venv aggregator
	$(PY) -m bench.http
	$(PY) -m bench.live

# 1,000 idle subscriptions and the delay from a commit to its delivery (also the last part of `make bench`).
bench-live: venv
	$(PY) -m bench.live

bench-aggregator: venv aggregator
	$(PY) -m bench.aggregator

# How long the ledger-accounts migration (0006/0007) takes on PostgreSQL with 1,000,000 transactions.
bench-migration: venv
	$(PY) -m bench.migration

# The venv installs the lock files (every package, transitive ones included, pinned with hashes), and again whenever
# one changes: requirements.lock (runtime: `make run`, `make bench`) and requirements-dev.lock (the same runtime pins
# plus tests, lint and tools: `make test`). requirements*.txt name the direct dependencies; `make lock` rewrites the
# locks from them.
venv: $(VENV)/.installed

venv-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.lock
	$(call install_lock,requirements.lock)

# The dev lock holds the same runtime pins, so installing it also satisfies `venv`.
$(VENV)/.installed-dev: requirements.lock requirements-dev.lock
	$(call install_lock,requirements-dev.lock)
	@touch $(VENV)/.installed

# One line says what a slow step is doing before it starts; an up-to-date venv prints nothing.
define install_lock
	@if [ -f $@ ]; then echo "Updating $(VENV): $? changed..."; \
	elif [ -f $(VENV)/.installed ]; then echo "Installing the test and development tools into $(VENV) (first time only, about a minute)..."; \
	else echo "Installing Python dependencies into $(VENV) (first run only, about 2 minutes)..."; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r $(1)
	@touch $@
endef

UV_COMPILE = $(VENV)/bin/uv pip compile --universal --python-version 3.11 --generate-hashes --quiet
lock: venv-dev
	$(UV_COMPILE) requirements.txt -o requirements.lock
	$(UV_COMPILE) requirements-dev.txt -c requirements.lock -o requirements-dev.lock

aggregator:
	@if [ -f go_aggregator/go.mod ]; then \
		if [ ! -x go_aggregator/bin/aggregator ]; then echo "Building the Go aggregator (first build about 1 minute)..."; fi; \
		cd go_aggregator && $(GO) build -o bin/aggregator ./cmd/aggregator; fi

# GraphiQL's browser files (react, graphiql) from npm into frontend/node_modules (git-ignored), served by Django.
# npm runs only when they are missing or package-lock.json changed.
assets: frontend/node_modules/.package-lock.json

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	@echo "Installing GraphiQL's browser files from npm (first run only, about 15 seconds)..."
	@cd frontend && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

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
