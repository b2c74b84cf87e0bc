# helpnext: `make demo` and `make test` are the two quickstart commands.
# The venv gets the dev and spark extras: the suite runs the Spark engine in local mode (Java 17).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_HOME := $(CURDIR)/demo-home

.DEFAULT_GOAL := check
.PHONY: check install demo test lint bench sample prior clean browser

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_HOME)
	$(BIN)/helpnext --home $(DEMO_HOME) demo

# Debian's headless Chromium for the report's browser test (tests/test_report_browser.py)
browser:
	command -v chromium >/dev/null || apt-get install -y chromium chromium-driver

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: test lint

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# the shipped prior engagement model, rebuilt from ../shared and generated logs (same bytes)
prior: $(STAMP)
	$(BIN)/python -m pipelines.engagement.prior --shared $(CURDIR)/../shared --out $(CURDIR)/recommender/shipped

sample: $(STAMP)
	$(BIN)/python data/generate_sample.py

clean:
	rm -rf $(VENV) $(DEMO_HOME) .pytest_cache
