# CRM Lab: the two commands a newcomer needs are `make demo` and `make test`.
# Both create the virtual environment in .venv on first use and are quick afterwards.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
export MPLBACKEND := Agg

.PHONY: help install demo test test-fast lint format lab dashboard bench notebooks site clean

help:
	@echo "make demo    set up .venv, run the default classroom scenario, write its report"
	@echo "make test    set up .venv, run every test (notebooks and exercises included)"
	@echo "make lab     open JupyterLab on the notebooks"
	@echo "make dashboard  serve the instructor's live dashboard with Voila (DASHBOARD_PORT=8866)"
	@echo "make bench   run the performance benchmarks (not part of make test)"
	@echo "make notebooks  re-run the course notebooks top to bottom, commit-ready"
	@echo "make site    executed HTML copies of the notebooks in site/ (open site/index.html)"
	@echo "make lint    ruff checks"
	@echo "make clean   remove .venv, caches and reports"

# Re-install only when the project's declared dependencies change.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m sim run --scenario classroom --strategy operational --seed 42 --out reports/demo

test: $(STAMP)
	TQDM_DISABLE=1 $(PY) -m pytest

test-fast: $(STAMP)
	TQDM_DISABLE=1 $(PY) -m pytest -m "not slow" tests

lint: $(STAMP)
	$(PY) -m ruff check .

format: $(STAMP)
	$(PY) -m ruff format sim tests benchmarks

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

# The instructor's live dashboard: dashboard/classroom.ipynb as a Voila app, code hidden. The
# optional `dashboard` extra is installed into .venv once (its own stamp), beside `dev`.
DASHBOARD_STAMP := $(VENV)/.dashboard-stamp
DASHBOARD_PORT  ?= 8866
DASHBOARD_THEME ?= light

$(DASHBOARD_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e ".[dashboard]"
	@touch $(DASHBOARD_STAMP)

dashboard: $(DASHBOARD_STAMP)
	@echo "Live dashboard: open http://localhost:$(DASHBOARD_PORT)/ (Ctrl+C stops it)"
	$(VENV)/bin/voila dashboard/classroom.ipynb --no-browser --port=$(DASHBOARD_PORT) \
		--theme=$(DASHBOARD_THEME)

bench: $(STAMP)
	$(PY) benchmarks/run.py

# Course notebooks are committed executed in a fresh kernel, outputs stripped, counts kept;
# exercises are committed stripped whole (tests/test_notebook_hygiene.py checks both).
notebooks: $(STAMP)
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace notebooks/*.ipynb
	$(VENV)/bin/nbstripout --keep-count notebooks/*.ipynb
	$(VENV)/bin/nbstripout exercises/*.ipynb

# Executed HTML copies of the notebooks, to read with every plot (a build artifact, not committed).
site: $(STAMP)
	$(PY) -m sim.site --out site

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache reports site *.egg-info
