# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs the kit with what it needs when missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lab lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name kit --display-name "kit (.venv)" >/dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kit report --out build/report

test: $(STAMP)
	$(BIN)/ruff format --check kit tests benchmarks
	$(BIN)/ruff check kit tests benchmarks
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

format: $(STAMP)
	$(BIN)/ruff format kit tests benchmarks
	$(BIN)/ruff check --fix kit tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_inventory.py

clean:
	rm -rf build reports .pytest_cache
