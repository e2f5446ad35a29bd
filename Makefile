# Two commands for a new user: `make run` (set up, start the app on the local model)
# and `make test` (set up, lint, type-check, run every test). Both create or update .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint format index evals bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.lock
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(PY) -m simulator index build
	$(PY) -m streamlit run app.py --server.headless true --browser.gatherUsageStats false

test: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

index: setup
	$(PY) -m simulator index build

evals: setup
	$(PY) -m evals run --split tune

bench: setup
	$(PY) -m evals bench

clean:
	rm -rf $(VENV) .data .pytest_cache .ruff_cache .mypy_cache
