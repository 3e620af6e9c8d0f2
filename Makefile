# Migraine Helper: the few verbs people expect. `make run` and `make test` do all set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
CHROMIUM ?= /usr/bin/chromium

.PHONY: build-SkillFunction run chat test lint typecheck check setup setup-node setup-chromium lock package bench load clean

## Serve the skill locally on embedded defaults (signature checks off, loopback only).
run: $(VENV)/.installed
	$(BIN)/python -m skill serve --dev --host $(HOST) --port $(PORT)

## Talk to the skill in the terminal.
chat: $(VENV)/.installed
	$(BIN)/python -m skill chat

## Everything CI runs: lint, types, content/model/SSML check, template lint, tests.
test: $(VENV)/.installed node_modules/.installed setup-chromium lint typecheck check
	$(BIN)/cfn-lint template.yaml
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed
	$(BIN)/mypy

check: $(VENV)/.installed
	$(BIN)/python -m skill check

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $@

# Node.js runs the offline test tools (SSML validator, Alexa emulator, DynamoDB server).
node_modules/.installed: package.json package-lock.json
	command -v npm >/dev/null || $(MAKE) setup-node
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup-node:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	else \
		echo "Node.js 18+ and npm are needed for the tests: install them (e.g. apt-get install nodejs npm)"; exit 1; \
	fi

## Install Debian's Chromium for the simulator's browser test, when it is missing.
# As root with apt it is installed; otherwise a message, and the test skips (in CI it fails).
setup-chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| echo "warning: apt-get could not install chromium; the browser test will skip (outside CI)"; \
	else \
		echo "The simulator's browser test needs Chromium at $(CHROMIUM): install it (e.g. apt-get install chromium); until then it skips (outside CI)"; \
	fi

## Re-pin dependencies after editing requirements/*.in.
lock: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --no-header --allow-unsafe -o requirements/lambda.txt requirements/lambda.in
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --no-header --allow-unsafe -o requirements/dev.txt requirements/dev.in

## Build the Lambda bundle (build/lambda, build/migraine-helper-lambda.zip) and print its size.
package: $(VENV)/.installed
	$(BIN)/python scripts/package_lambda.py

# `sam build` calls this (template.yaml: BuildMethod makefile) with ARTIFACTS_DIR set.
build-SkillFunction:
	$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) scripts/package_lambda.py --build-dir build
	cp -R build/lambda/. "$(ARTIFACTS_DIR)"

## Cold start and warm latency of the shipped bundle against the ask-sdk hello-world skill
## (reports a missed target; `make bench BENCH_ARGS=--strict` fails on one).
bench: package
	$(BIN)/python scripts/benchmark.py --bundle build/lambda $(BENCH_ARGS)

## Drive the production web server on loopback with concurrent clients.
load: $(VENV)/.installed
	$(BIN)/python scripts/load_test.py

clean:
	rm -rf build .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis
