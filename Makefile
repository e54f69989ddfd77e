# sectorpulse: `make run` (pipeline on the bundled sample) and `make test` (the whole suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INDUSTRY ?= 801750
SOURCE ?= sample
export DAGSTER_HOME := $(CURDIR)/data/dagster_home
export GX_ANALYTICS_ENABLED := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export TQDM_DISABLE := 1

.PHONY: install run test dev lint format validate sample clean

$(BIN)/sectorpulse: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $@

install: $(BIN)/sectorpulse $(DAGSTER_HOME)/dagster.yaml

$(DAGSTER_HOME)/dagster.yaml: orchestration/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp $< $@

run: install  ## materialise every asset on the bundled sample and print one brief
	$(BIN)/sectorpulse run --source $(SOURCE) --industry $(INDUSTRY)

test: install lint  ## the whole test suite (sockets blocked)
	$(BIN)/pytest

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

validate: install  ## Dagster can load every definition
	$(BIN)/dagster definitions validate -m orchestration.definitions

dev: install  ## the Dagster UI on http://127.0.0.1:3000
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -m orchestration.definitions

sample: install  ## rebuild data/sample from ../shared/data
	$(BIN)/python scripts/build_sample.py --shared ../shared/data --out data/sample

clean:
	rm -rf data/warehouse data/published data/.published-versions data/gx data/dagster_home dbt_project/target dbt_project/logs
