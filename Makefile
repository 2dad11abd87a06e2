# make run: serve the project; make test: lint, type checks and the whole test suite.
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed
BENCH_STAMP := $(VENV)/.bench-installed

.PHONY: run test test-quick fuzz soak bench lint typecheck pytest openapi install install-dev system-deps clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[server,postgres]"
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	bin/system-deps
	$(PY) -m pip install --quiet -e ".[server,postgres,mysql,dev]"
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)

install-dev: $(DEV_STAMP)

$(BENCH_STAMP): $(DEV_STAMP)
	$(PY) -m pip install --quiet -e ".[server,postgres,mysql,dev,bench]"
	touch $@

system-deps:
	bin/system-deps

run: $(RUN_STAMP)
	bin/serve

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy memories agentos tests bench

pytest: $(DEV_STAMP)
	$(VENV)/bin/pytest
	@echo "Again with PostgreSQL as the default database (memories and audit records together):"
	AGENTOS_TEST_DEFAULT_DB=postgres $(VENV)/bin/pytest -q -m "not e2e"

test: lint typecheck pytest

# The suite without tests/e2e/ (no server, browser, pip or schemathesis): a minute or two.
test-quick: $(DEV_STAMP)
	$(VENV)/bin/pytest -m "not e2e"

# The delete benchmark (several minutes): writes BENCHMARKS.md.
bench: $(BENCH_STAMP)
	bin/system-deps wrk
	$(PY) bench/run.py $(BENCH_ARGS)

# A long soak of the real server on PostgreSQL (make test runs a short one).
soak: $(DEV_STAMP)
	AGENTOS_SOAK_REQUESTS=$${AGENTOS_SOAK_REQUESTS:-20000} $(VENV)/bin/pytest tests/e2e/test_soak.py -p no:randomly

# A long schemathesis run against the served OpenAPI document (make test runs a short one).
fuzz: $(DEV_STAMP)
	AGENTOS_FUZZ_EXAMPLES=$${AGENTOS_FUZZ_EXAMPLES:-500} $(VENV)/bin/pytest tests/e2e/test_fuzz.py -p no:randomly

# Regenerate tests/openapi.yaml, the committed snapshot of the API document, after a change to it.
openapi: $(DEV_STAMP)
	$(PY) manage.py spectacular --settings tests.settings --validate --fail-on-warn \
		--generator-class memories.docs.MemoryAPISchemaGenerator \
		--custom-settings memories.docs.DOCUMENT_SETTINGS --file tests/openapi.yaml

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
