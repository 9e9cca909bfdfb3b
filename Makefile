# Quick start:  make train   (venv + install + train the default detector on embedded content)
#               make test    (venv + install + the test suite)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=

export WANDB_MODE ?= offline
export WANDB_SILENT ?= true
export NO_ALBUMENTATIONS_UPDATE ?= 1

.PHONY: install train test test-all lint format clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

train: install
	$(PY) train.py $(ARGS)

test: install
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

test-all: install
	$(PY) -m pytest -q -m ""

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf logs outputs multirun exports .pytest_cache
