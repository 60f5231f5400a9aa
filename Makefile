# `make test` is the one command CI and newcomers run: it builds .venv, installs the project
# with its test extras and runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: test install bench lint-self clean

$(BIN)/armadilhas: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/armadilhas

test: install
	$(BIN)/python -m pytest tests

lint-self: install
	$(BIN)/armadilhas check bot analyzers

bench: install
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/bench_django.py

clean:
	rm -rf $(VENV) build dist *.egg-info
