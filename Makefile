# The two commands: `make run` starts the whole system, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
GO ?= go

.PHONY: run test venv aggregator schema clean

run: venv aggregator
	$(PY) -m devserver.run

test: venv aggregator
	$(PY) -m devserver.run_tests

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

aggregator:
	@if [ -f go_aggregator/go.mod ]; then cd go_aggregator && $(GO) build -o bin/aggregator ./cmd/aggregator; fi

schema: venv
	$(PY) -m schema.export

clean:
	rm -rf $(VENV) var go_aggregator/bin
