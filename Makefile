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

# The app itself checks (or builds) the index and loads the topic model on its first page view,
# showing each step; a taken port is an error, not a silent move to the next one.
PORT ?= 8501
run: setup
	$(PY) -m streamlit run app.py --server.port $(PORT) \
	  || { echo "the app stopped: if port $(PORT) is taken, run: make run PORT=8502" >&2; exit 1; }

# mypy runs beside pytest, its report printed after pytest's: pytest leaves a core idle part of
# the time (waiting on subprocesses and the browser), and a cold mypy run takes about 17 s.
test: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	@$(PY) -m mypy > $(VENV)/mypy.log 2>&1 & mypy=$$!; \
	$(PY) -m pytest; tests=$$?; \
	wait $$mypy; typed=$$?; echo "mypy:"; cat $(VENV)/mypy.log; \
	[ $$tests -eq 0 ] && [ $$typed -eq 0 ]

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
