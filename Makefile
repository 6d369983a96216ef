# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-long fuzz-deep lint typecheck pytest bench bench-quick clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rupor demo

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Three workers, one test file each at a time (module fixtures stay in one process): most
# e2e tests wait on emulated platforms' pacing, so three share two cores well.
WORKERS ?= 3

pytest: $(STAMP)
	$(BIN)/pytest -q -x -p no:cacheprovider -n $(WORKERS) --dist loadfile

# The long trust tests (marked `long`): kill -9 series and outages lasting minutes.
test-long: $(STAMP)
	$(BIN)/pytest -q -x -p no:cacheprovider -m long -n $(WORKERS) --dist loadfile

# The hypothesis fuzz tests with 25 times their examples (tests/fuzzing.py).
fuzz-deep: $(STAMP)
	RUPOR_FUZZ=deep $(BIN)/pytest -q -x -p no:cacheprovider tests -k fuzz

bench: $(STAMP)
	$(BIN)/python -m bench --full

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
