# The two set-up commands of the README:
#   make serve   install into .venv and start the server (embedded SQLite, bundled questionnaires)
#   make test    install into .venv (with test tools) and run linters and every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test chromium libreoffice node bench bench-export bench-scale screenshots

$(BIN)/cunsheng: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

serve: $(BIN)/cunsheng
	$(BIN)/cunsheng serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

# Debian's chromium (and a CJK font for screenshots and the results charts) for the browser test;
# installed when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser test"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }
	@fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || { \
	  echo "installing fonts-wqy-microhei for the results charts"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq fonts-wqy-microhei >/dev/null; }

# LibreOffice Calc (headless) for the test that opens an exported CSV as a sheet; installed when missing.
libreoffice:
	@command -v soffice >/dev/null 2>&1 || { \
	  echo "installing Debian LibreOffice Calc for the export test"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq libreoffice-calc-nogui >/dev/null; }

# Node.js for the conformance test that runs the browser's engine (static/field/engine.js); installed when missing.
node:
	@command -v node >/dev/null 2>&1 || { \
	  echo "installing Debian nodejs for the conformance test"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq nodejs >/dev/null; }

test: $(BIN)/cunsheng chromium libreoffice node
	$(BIN)/ruff check .
	$(BIN)/mypy surveys analysis
	$(BIN)/pytest

# Refresh the README's screenshots in docs/screenshots: phone and console pages, the field app offline, and the
# report pack's PDF pages (a plain test run writes them to a temporary folder).
screenshots: $(BIN)/cunsheng chromium
	CUNSHENG_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -q -p no:cacheprovider tests/server/test_browser.py tests/server/test_console_browser.py tests/server/test_results_browser.py tests/server/test_fieldwork_browser.py tests/analysis/test_report_pack.py tests/server/test_field_app_browser.py::test_three_cases_worked_offline_arrive_exactly_once

bench: $(BIN)/cunsheng
	$(BIN)/python bench/estimate.py
	$(BIN)/python bench/weights.py
	$(BIN)/python bench/pages.py
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/ingest.py --runs 3
	$(BIN)/python bench/export.py

# `cunsheng export` of 1,000,000 responses from PostgreSQL (TEST_DATABASE_URL or BENCH_DATABASE_URL) to CSV and Parquet.
bench-export: $(BIN)/cunsheng
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/export.py

# The streaming figure of `cunsheng estimate`: 20M rows in a temporary Parquet file (about a minute).
bench-scale: $(BIN)/cunsheng
	$(BIN)/python bench/estimate.py --scale
