# `make test` is the one command CI and newcomers run: it builds .venv, installs the locked
# dependencies (the same versions, checked by hash, as the Docker image) and runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK_FLAGS := --generate-hashes --universal --python-version 3.11 --quiet

.PHONY: test install lock bench lint-self clean

$(BIN)/armadilhas: pyproject.toml requirements-test.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-test.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

install: $(BIN)/armadilhas

test: install
	$(BIN)/python -m pytest tests

# Refresh the locks after editing dependencies in pyproject.toml (uv resolves in a second).
# requirements.lock is the image's; requirements-test.lock adds the test extras at the same versions.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml requirements-build.in $(LOCK_FLAGS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml requirements-build.in --extra test -c requirements.lock $(LOCK_FLAGS) \
		-o requirements-test.lock

lint-self: install
	$(BIN)/armadilhas check bot analyzers

bench: install
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/bench_django.py

clean:
	rm -rf $(VENV) build dist *.egg-info
