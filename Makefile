# One command to set up and run the web map, one to set up and run the tests.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup browser lint bench

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Se necesita Python 3.11 ($(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

## make run: install, then serve the web map on the shipped data at http://$(HOST):$(PORT)
run: setup
	$(VENV)/bin/culturamap serve --host $(HOST) --port $(PORT)

## browser: Debian's Chromium, which the browser tests drive through Playwright
## (as root directly, else through sudo; without sudo it prints the line to run and stops)
APT_PACKAGES := chromium chromium-driver poppler-utils
browser:
	@if [ ! -x /usr/bin/chromium ] || ! command -v pdftoppm >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; \
		elif command -v sudo >/dev/null; then SUDO="sudo"; \
		else echo "Faltan paquetes de Debian; como root, ejecute / Missing Debian packages; as root, run:"; \
			echo "  apt-get update && apt-get install -y $(APT_PACKAGES)"; exit 1; fi; \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			$(APT_PACKAGES) >/dev/null; fi

## make test: install everything (Python packages, Chromium, poppler), lint, run all tests
## (the database tests also run on a PostgreSQL + PostGIS that tools/start_postgres.sh starts)
test: setup browser
	$(VENV)/bin/ruff check culturamap geo webmap tests tools benchmarks
	CULTURAMAP_TEST_POSTGRES_URL="$$(tools/start_postgres.sh)" $(VENV)/bin/pytest -q

## make bench: print the speed figures (layers, access analysis, web, reports)
bench: setup browser
	$(PY) benchmarks/bench_layers.py
	$(PY) benchmarks/bench_access.py
	$(PY) benchmarks/bench_isochrones.py
	$(PY) benchmarks/bench_scenarios.py
	$(PY) benchmarks/bench_web.py
	$(PY) benchmarks/bench_reports.py

## make mutation (or make mutate): mutation testing (mutmut, [tool.mutmut] in pyproject.toml) of
## the access analysis, site suggestion, council join, equity, walking areas, travel model,
## street network distances, demand points, access API, council table, map classes and
## number formats; not part of make test (over an hour on 2 shared cores for all mutants). Prints the score per
## module and every survivor, in benchmarks/results/mutation.txt.
## MUTATE="geo.siting*" runs one module (or function) alone (mutants named this way are run
## again even when already checked); without it mutants/ is kept and a later run only
## retries mutants whose code changed (make mutation-clean starts afresh; a change of the
## test selection in pyproject.toml also starts afresh).
MUTATE ?=
.PHONY: mutation mutate mutation-clean
mutation: setup
	$(VENV)/bin/mutmut run --max-children 2 $(if $(MUTATE),"$(MUTATE)")
	$(PY) benchmarks/mutation_report.py

mutation-clean:
	rm -rf mutants

mutate: mutation
