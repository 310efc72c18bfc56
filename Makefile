# Etäpäivä — the two commands of the README, and their parts.
#   make run    the bot + Microsoft 365 Agents Playground on the embedded SQLite database
#   make test   lint, types, import contracts and every test (SQLite, PostgreSQL, headless Chromium)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := playground/node_modules/.installed

.PHONY: run test faults lint unit-tests system-deps venv playground clean

# make run AS=client (Jari Mäkinen) or AS=coordinator (Anneli Korhonen); instructor by default
# (make has a built-in AS, the assembler: only an AS given by the person counts)
PLAYGROUND_AS := $(if $(filter default,$(origin AS)),,$(AS))
run: $(STAMP) $(NODE_STAMP)
	AS="$(PLAYGROUND_AS)" scripts/run-local.sh

test: system-deps $(STAMP) $(NODE_STAMP) lint
	scripts/run-tests.sh

# the fault tests alone (kill -9 and redelivery, connector faults, failover, roles, hostile
# input); `make test` runs them with everything else
faults: system-deps $(STAMP)
	scripts/run-tests.sh tests/faults tests/integration/test_fuzz.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

playground: $(NODE_STAMP)

$(NODE_STAMP): playground/package.json playground/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed (Debian: apt-get install nodejs npm)"; exit 1; }
	cd playground && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# PostgreSQL server binaries and Chromium for the tests: installed with apt when missing (as root).
system-deps:
	@scripts/system-deps.sh

clean:
	rm -rf $(VENV) playground/node_modules .pytest_cache .mypy_cache .ruff_cache
