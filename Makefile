# Two commands for a newcomer: `make run` and `make test`. Both build .venv themselves, from the lock.
#
# The lock: requirements-dev.txt (everything: runtime, tests, lint, types, the lock tool) and
# requirements.txt (runtime only, what a platform deploys), both with hashes, both compiled from
# pyproject.toml's ranges by uv. pip installs them with --require-hashes: nothing unpinned, ever.
# docs/dependencies.md says how to add or upgrade a dependency.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
LOCK_FLAGS := --universal --generate-hashes --quiet --custom-compile-command "make lock"
# The lock's two files, compiled by uv at $(1) with extra flags $(2) for the first; the runtime
# file takes the dev file as its constraint, so the two never pin different versions.
COMPILE_LOCK = $(1) pip compile pyproject.toml --extra dev $(LOCK_FLAGS) $(2) -o requirements-dev.txt && \
	$(1) pip compile pyproject.toml $(LOCK_FLAGS) -c requirements-dev.txt -o requirements.txt

.PHONY: run test lint lock-check lock upgrade bench clean install redis

# A new lock rebuilds the venv from nothing, so what is installed is exactly the lock (pip never
# removes a package the lock dropped). Our own package goes in editable, built with the lock's
# setuptools: no build isolation, so no unpinned download there either.
$(STAMP): requirements-dev.txt pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m bot run

# pyproject.toml and the lock must say the same thing: compile the lock again from pyproject.toml,
# keeping its pins, and compare. One line and a non-zero exit when they differ.
lock-check: $(STAMP)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp pyproject.toml requirements.txt requirements-dev.txt "$$tmp"/; uv=$$(realpath $(UV)); cd "$$tmp" && \
	{ $(call COMPILE_LOCK,$$uv); } || \
	{ echo "make: could not compile the lock from pyproject.toml (uv said why above)" >&2; exit 1; }; \
	cd - >/dev/null; cmp -s "$$tmp/requirements-dev.txt" requirements-dev.txt && cmp -s "$$tmp/requirements.txt" requirements.txt || \
	{ echo "make: pyproject.toml and the lock (requirements.txt, requirements-dev.txt) disagree: run 'make lock' and commit all three" >&2; exit 1; }

# After editing pyproject.toml: compile the lock again, keeping every pin that still fits.
lock: $(STAMP)
	$(call COMPILE_LOCK,$(UV))

# The newest versions within pyproject.toml's ranges; `make upgrade PACKAGE=redis` for one only.
upgrade: $(STAMP)
	$(call COMPILE_LOCK,$(UV),$(if $(PACKAGE),--upgrade-package $(PACKAGE),--upgrade))

lint: lock-check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy bot
	$(VENV)/bin/lint-imports

# The Redis tests start their own redis-server on loopback: have one before anything else runs.
# As root on Debian/Ubuntu it is installed; otherwise one line says what to install, at once.
redis:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make test: installing redis-server (apt-get), which the Redis tests need"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }; \
	  else \
	    echo "make test needs redis-server: install it first (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis)" >&2; \
	    exit 1; \
	  fi; }

test: lock-check redis lint
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
