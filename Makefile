# The words people type. Every target installs what it needs first (uv from PyPI, the locked venv,
# the npm tools), so `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
UV_VERSION := 0.13.8

# Keep every cache inside the work tree (CI runs on a clean clone; nothing may leak into $HOME).
export UV_CACHE_DIR := $(CURDIR)/.cache/uv
export UV_PYTHON_DOWNLOADS := never
export JSII_RUNTIME_PACKAGE_CACHE_ROOT := $(CURDIR)/.cache/jsii
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_HOME := $(CURDIR)/.cache/cdk
export CDK_DISABLE_CLI_TELEMETRY := true
export npm_config_cache := $(CURDIR)/.cache/npm
export PYTHONDONTWRITEBYTECODE := 1

UV := .tools/bin/uv
VENV := .venv/.synced
NODE := node_modules/.installed
PY := .venv/bin/python
CDK := node_modules/.bin/cdk --no-notices

.PHONY: help setup run test browser chromium synth deploy diff build invoke lint format bench openapi readme fuzz clean

help:
	@echo "make setup    a few questions about your partnership, in plain words; writes cdk.json"
	@echo "make run      the whole system locally on http://127.0.0.1:3000 (Ctrl-C stops it)"
	@echo "make test     lint, type-check and the full test suite"
	@echo "make browser  only the browser journey: headless Chromium and axe-core over local mode"
	@echo "make synth    build the Lambda assets and synthesize the CDK app (cdk-nag + cfn-lint gate)"
	@echo "make deploy   cdk deploy (needs AWS credentials)      make diff   cdk diff"
	@echo "make build    function code and arm64 dependency layer into .build/"
	@echo "make invoke FN=members_public EVENT=events/members/post_signup_form.json"
	@echo "make lint     ruff and mypy                          make bench  cold start and AWS-call counts"
	@echo "make openapi  regenerate functions/docs/openapi.json from the resolvers"
	@echo "make readme   regenerate the README's retention tables, concurrency and cost figures"
	@echo "make fuzz     schemathesis against local mode for 10 minutes, random seed (FUZZ_SECONDS, FUZZ_SEED)"

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

$(NODE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(VENV)
	$(PY) -m infra.setup

build: $(VENV)
	$(PY) -m infra.build

synth: build $(NODE)
	$(CDK) synth --quiet
	.venv/bin/cfn-lint cdk.out/*.template.json
	@echo "synth: cdk-nag and cfn-lint found nothing; templates in cdk.out/"

deploy: build $(NODE)
	$(CDK) deploy $(ARGS)

diff: build $(NODE)
	$(CDK) diff $(ARGS)

run: $(VENV) $(NODE)
	$(PY) -m infra.local

invoke: $(VENV) $(NODE)
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<function> EVENT=<events/...json>"; exit 2; }
	$(PY) -m infra.local.invoke $(FN) $(EVENT)

lint: $(VENV)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy functions shared infra tests

format: $(VENV)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# The browser test drives the system's Chromium (Debian's package; playwright-core downloads no
# browser). Installing it needs root, or sudo; without apt-get, outside CI, the test skips instead.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	    $$sudo apt-get update && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y chromium; \
	  elif [ "$$CI" = true ]; then \
	    echo "chromium is missing and there is no apt-get to install it" >&2; exit 1; \
	  else \
	    echo "chromium is missing: install it, or the browser test skips"; \
	  fi; }

# The layers that run in-process (moto, synth) on two workers (pytest-xdist), then the ones that
# drive local mode, one at a time (their services, browser and fuzzer budgets need the cores):
# about 3 + 4 minutes on a 2-core machine. The slowest tests of each are listed at the end.
test: lint build $(NODE) chromium
	$(PY) -m pytest -n 2 --durations=8 tests/unit tests/handler tests/infra tests/bundle $(PYTEST_ARGS)
	$(PY) -m pytest -n 2 --durations=8 tests/integration $(PYTEST_ARGS)

browser: $(VENV) $(NODE) chromium
	$(PY) -m pytest tests/integration/test_browser.py $(PYTEST_ARGS)

bench: build $(NODE)
	$(PY) -m tests.bench

openapi: $(VENV)
	$(PY) -m infra.openapi

readme: build $(NODE)
	$(PY) -m infra.readme

# The fuzz test of `make test` (tests/integration/test_fuzz.py: 100 s, seed 6), for longer, with
# more examples per operation and a new seed each time (printed; FUZZ_SEED=<n> runs it again).
FUZZ_SECONDS ?= 600
FUZZ_SEED ?= random
FUZZ_MAX_EXAMPLES ?= 300
fuzz: $(VENV) $(NODE)
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=$(FUZZ_SEED) FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) \
		$(PY) -m pytest tests/integration/test_fuzz.py -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf .build cdk.out .pytest_cache .mypy_cache .ruff_cache
