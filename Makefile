# make run: serve the project; make test: lint, type checks and the whole test suite, on
# Django 5.2 / Python 3.11 and on the newest Django 6 / Python 3.13; make lock: refresh the locks.
PYTHON ?= python3
# Python 3.11, Django 5.2 LTS: make run, lint, type checks and the first test pass.
VENV := .venv
PY := $(VENV)/bin/python
# Python 3.13, the newest Django 6: the second test pass (bin/find-python finds the interpreter).
VENV6 := .venv-django6
PY6 := $(VENV6)/bin/python
# The pinned uv that writes the locks.
TOOLS := .venv-tools

# Every install is exactly a lock (hashes checked), then this checkout itself, editable.
RUN_LOCK := requirements/run.txt
DEV_LOCK := requirements/test-django5.2-py3.11.txt
DEV6_LOCK := requirements/test-django6-py3.13.txt
UV_LOCK := requirements/uv.txt

RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed
DEV6_STAMP := $(VENV6)/.dev-installed
BENCH_STAMP := $(VENV)/.bench-installed
TOOLS_STAMP := $(TOOLS)/.installed

.PHONY: run test dist test-without-servers pytest-django5 pytest-django6 test-quick fuzz soak shutdown-soak bench bench-big-tables bench-paths lint typecheck pytest openapi install install-dev lock system-deps clean

# install_lock VENV LOCK: exactly the lock's packages, resolving nothing, then this checkout
# (bin/install-lock says how).
install_lock = bin/install-lock $(1) $(2)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(PY6):
	python=$$(bin/find-python 3.13) && $$python -m venv $(VENV6)

$(RUN_STAMP): $(RUN_LOCK) pyproject.toml | $(PY)
	$(call install_lock,$(VENV),$(RUN_LOCK))
	touch $@

# The test lock holds the run lock's versions, so it serves make run too.
$(DEV_STAMP): $(DEV_LOCK) pyproject.toml | $(PY)
	bin/system-deps
	$(call install_lock,$(VENV),$(DEV_LOCK))
	touch $@ $(RUN_STAMP)

$(DEV6_STAMP): $(DEV6_LOCK) pyproject.toml | $(PY6)
	bin/system-deps
	$(call install_lock,$(VENV6),$(DEV6_LOCK))
	touch $@

install: $(RUN_STAMP)

install-dev: $(DEV_STAMP) $(DEV6_STAMP)

$(TOOLS_STAMP): $(UV_LOCK)
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --no-deps --require-hashes -r $(UV_LOCK)
	touch $@

# make lock: every lock again, with the newest releases the ranges allow (a normal commit
# whose CI shows what changed). The test locks hold the run lock's versions.
# `make lock LOCK_UPGRADE=` adds what pyproject.toml newly asks for and keeps every other pin.
LOCK_UPGRADE ?= --upgrade
UV_COMPILE = $(TOOLS)/bin/uv pip compile --quiet --universal --generate-hashes $(LOCK_UPGRADE) \
	--custom-compile-command "make lock"
BUILD := pyproject.toml requirements/build.in

lock: $(TOOLS_STAMP)
	$(UV_COMPILE) requirements/uv.in --python-version 3.11 -o $(UV_LOCK)
	$(UV_COMPILE) $(BUILD) --extra server --extra postgres \
		--python-version 3.11 -c requirements/django-5.2.in -o $(RUN_LOCK)
	$(UV_COMPILE) $(BUILD) --extra server --extra postgres --extra mysql --group dev \
		--python-version 3.11 -c requirements/django-5.2.in -c $(RUN_LOCK) -o $(DEV_LOCK)
	$(UV_COMPILE) $(BUILD) --extra server --extra postgres --extra mysql --group test --group dist \
		--python-version 3.13 -o $(DEV6_LOCK)

# The benchmark's peer and profilers (the `bench` dependency group): not locked themselves, but
# they cannot move what the test lock installed.
$(BENCH_STAMP): $(DEV_STAMP) $(TOOLS_STAMP)
	$(TOOLS)/bin/uv pip install --quiet --python $(PY) --group bench -c $(DEV_LOCK)
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

# The whole suite twice, both passes at once (each output printed whole when its pass ends):
# Django 5.2 with SQLite as the default database, served by WSGI, and the newest Django 6 with
# PostgreSQL as the default database (memories and audit records together), served by ASGI, with
# the database tests run again on psycopg2. The second pass keeps its own test databases
# (suffix _django6) and Redis database.
pytest: $(DEV_STAMP) $(DEV6_STAMP)
	$(MAKE) --no-print-directory -j2 --output-sync=target pytest-django5 pytest-django6

pytest-django5: $(DEV_STAMP)
	@echo "Django 5.2 on Python 3.11, SQLite as the default database:"
	$(VENV)/bin/pytest

pytest-django6: $(DEV6_STAMP)
	@echo "The newest Django 6 on Python 3.13, PostgreSQL as the default database, served by ASGI:"
	AGENTOS_TEST_DEFAULT_DB=postgres AGENTOS_TEST_DB_SUFFIX=$${AGENTOS_TEST_DB_SUFFIX:-}_django6 \
		AGENTOS_TEST_INTERFACE=asgi \
		AGENTOS_TEST_REDIS_URL=$${AGENTOS_TEST_REDIS_URL_DJANGO6:-redis://127.0.0.1:6379/6} \
		$(VENV6)/bin/pytest -q

test: lint typecheck pytest

# The suite without tests/e2e/ (no server, browser, pip or schemathesis): a minute or two.
test-quick: $(DEV_STAMP)
	$(VENV)/bin/pytest -m "not e2e"

# The quick suite as on a machine without PostgreSQL, MariaDB or Redis (closed ports): their
# tests skip, and nothing else fails.
CLOSED := 127.0.0.1:9
test-without-servers: $(DEV_STAMP)
	AGENTOS_TEST_REQUIRE_SERVERS=0 AGENTOS_TEST_POSTGRES_URL=postgres://postgres@$(CLOSED)/agentos_memories \
		AGENTOS_TEST_MARIADB_URL=mysql://root@$(CLOSED)/agentos_memories \
		AGENTOS_TEST_REDIS_URL=redis://$(CLOSED)/5 $(VENV)/bin/pytest -m "not e2e"

# The delete benchmark (several minutes): writes BENCHMARKS.md.
bench: $(BENCH_STAMP)
	bin/system-deps wrk
	$(PY) bench/run.py $(BENCH_ARGS)

# The admin (memories and audit trails) and the aggregate endpoints on 1,000,000 memories and
# 1,000,000 deletion records (PostgreSQL), against the API's list page;
# BIG_TABLES_ARGS="--baseline /path/to/other/checkout" serves another
# commit interleaved with this one.
bench-big-tables: $(DEV_STAMP)
	$(PY) bench/big_tables.py $(BIG_TABLES_ARGS)

# The paths added since (export, deletion by filter, retention, PgBouncer, bulk API), each
# against its floor (about 10 minutes): writes its section of BENCHMARKS.md.
bench-paths: $(BENCH_STAMP)
	bin/system-deps wrk
	$(PY) bench/paths.py $(BENCH_PATHS_ARGS)

# A long soak of the real server on PostgreSQL (make test runs a short one).
soak: $(DEV_STAMP)
	AGENTOS_SOAK_REQUESTS=$${AGENTOS_SOAK_REQUESTS:-20000} $(VENV)/bin/pytest tests/e2e/test_soak.py -p no:randomly

# Stopping the served project 20 times per signal (SIGTERM, SIGINT), with idle keep-alive
# clients and after load (make test stops it once per signal).
shutdown-soak: $(DEV_STAMP)
	AGENTOS_SHUTDOWN_REPEATS=$${AGENTOS_SHUTDOWN_REPEATS:-20} $(VENV)/bin/pytest tests/e2e/test_shutdown.py -p no:randomly

# A long schemathesis run against the served OpenAPI document (make test runs a short one).
fuzz: $(DEV_STAMP)
	AGENTOS_FUZZ_EXAMPLES=$${AGENTOS_FUZZ_EXAMPLES:-500} $(VENV)/bin/pytest tests/e2e/test_fuzz.py -p no:randomly

# The distribution, as it would be published: an sdist and a wheel in dist/, checked by twine.
dist: $(DEV_STAMP)
	$(PY) bin/dist

# Regenerate tests/openapi.yaml, the committed snapshot of the API document, after a change to it.
openapi: $(DEV_STAMP)
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) -m tests.documents

clean:
	rm -rf $(VENV) $(VENV6) $(TOOLS) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
