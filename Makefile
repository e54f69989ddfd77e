# sectorpulse: `make run` (pipeline on the bundled sample) and `make test` (the whole suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INDUSTRY ?= 801750
SOURCE ?= sample

# Debian packages the project needs (apt-get runs as root here): a CJK font, so chart labels in
# Chinese are not boxes (publishing/fonts.py registers it with matplotlib), and Chromium for the
# browser test of the HTML brief.
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
CHROMIUM := /usr/bin/chromium
APT_INSTALL := apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends
export DAGSTER_HOME := $(CURDIR)/data/dagster_home
export GX_ANALYTICS_ENABLED := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export TQDM_DISABLE := 1

.PHONY: install run test test-slow dev lint format validate sample clean publish

$(BIN)/sectorpulse: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $@

install: $(BIN)/sectorpulse $(DAGSTER_HOME)/dagster.yaml $(CJK_FONT)

$(CJK_FONT):
	$(APT_INSTALL) fonts-wqy-microhei

$(CHROMIUM):
	$(APT_INSTALL) chromium

$(DAGSTER_HOME)/dagster.yaml: orchestration/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp $< $@

run: install  ## materialise every asset on the bundled sample and print one brief
	$(BIN)/sectorpulse run --source $(SOURCE) --industry $(INDUSTRY)

test: install lint $(CHROMIUM)  ## lint + every test but the slow ones (sockets blocked)
	$(BIN)/pytest

test-slow: install $(CHROMIUM)  ## the slow tests `make test` leaves out (CI runs both)
	$(BIN)/pytest -m slow

lint: install  ## ruff (format + check), import-linter (layers, no cycles) and sqlfluff
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	mkdir -p data/warehouse
	cd dbt_project && SECTORPULSE_DUCKDB=$(CURDIR)/data/warehouse/sqlfluff.duckdb ../$(BIN)/sqlfluff lint models --processes 1

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

validate: install  ## Dagster can load every definition
	$(BIN)/dagster definitions validate -m orchestration.definitions

publish: run  ## run, then dbt docs, the data dictionary and the week's briefs (data/briefs/)
	$(BIN)/sectorpulse publish

dev: install  ## the Dagster UI on http://127.0.0.1:3000
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -m orchestration.definitions

sample: install  ## rebuild data/sample from ../shared/data
	$(BIN)/python scripts/build_sample.py --shared ../shared/data --out data/sample

clean:
	rm -rf data/warehouse data/published data/.published-versions data/gx data/dagster_home dbt_project/target dbt_project/logs

.PHONY: bench bench-smoke

bench: install  ## synthetic markets at the sample's size and 5,000 stocks x 10 years (slow; not in `make test`)
	$(BIN)/python -m bench.run --sizes sample,full

bench-smoke: install  ## the bench at tiny size: pipeline, pandas and SQL floor give the same numbers
	$(BIN)/pytest tests/test_bench_equivalence.py -q -m slow
