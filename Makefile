# Hiroba's one task runner. `make up` brings up the demo, `make test` runs the suite;
# each creates the virtual environment it needs.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
APT_GET := $(shell command -v apt-get 2>/dev/null)

.PHONY: up screenshots test lint messages deploy-examples bench bench-build bench-plan bench-publish bench-apply bench-uploads bench-search audit system-deps browser-deps clean

$(BIN)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# redis-server is the one system package the demo needs; install it when we can.
system-deps:
	@command -v redis-server >/dev/null || { \
	  if [ -n "$(APT_GET)" ] && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	  else echo "please install redis-server (Debian: apt-get install redis-server)"; exit 1; fi; }

# Debian's Chromium for the browser tests (never a downloaded browser build), with the Noto
# CJK fonts: without them every Japanese character of a screenshot is a box.
browser-deps:
	@{ [ -x /usr/bin/chromium ] && dpkg-query -W -f='$${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'ok installed'; } || { \
	  if [ -n "$(APT_GET)" ] && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	  else echo "note: /usr/bin/chromium or fonts-noto-cjk is missing; browser tests will be skipped or show boxes for Japanese"; fi; }

# `make up PORT=8080` serves on another port.
PORT ?= 8000
up: $(BIN)/.installed system-deps
	HIROBA_HOME=$${HIROBA_HOME:-./instance} $(BIN)/hiroba up --port $(PORT)

# docs/screenshots/: the key pages of a fresh demo at 375 px and 1280 px (README's gallery).
screenshots: $(BIN)/.installed system-deps browser-deps
	$(BIN)/python docs/screenshots.py

# The test files run in parallel, one pytest-xdist worker per core (TEST_WORKERS=0: serial);
# each worker has its own Redis, S3 server, databases and temporary folders. Files start
# longest first (tests/longest_first.py; --no-loadscope-reorder keeps that order instead of
# xdist's most-tests-first), so both workers stay busy to the end. The 25 slowest tests are
# listed at the end (issue 19: where the suite's time goes).
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
test: $(BIN)/.installed system-deps browser-deps
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy migrations  # Alembic's env and the revisions, checked on their own

# The intake's English catalog: extract the Japanese message ids marked in intake/ (templates
# and Python, plus the taxonomy labels), merge them into intake/translations/en/LC_MESSAGES/
# messages.po keeping what is translated, list what still needs English
# (exit 1 while anything does). Then the same for the public site's theme (theme/translations).
# No network.
messages: $(BIN)/.installed
	$(BIN)/python -c 'import sys; from intake.web.catalog import main; sys.exit(main(["", "update"]))'
	$(BIN)/python pelican/theme_catalog.py  # the public site's: theme/translations/en

# The Digital Agency's design tokens (npm: @digital-go-jp/design-tokens) -> theme/static/css/tokens.css.
# npm installs into a throw-away folder; only the generated CSS is committed.
tokens: $(BIN)/.installed
	$(BIN)/python pelican/design_tokens.py

# deploy/: the server files rendered for the example instance (tests/test_deploy.py compares).
deploy-examples: $(BIN)/.installed
	$(BIN)/hiroba deploy all --example --output deploy

# Benchmarks print figures (tests never assert timings). `make bench` runs them all.
bench: bench-build bench-publish bench-apply bench-uploads bench-search

# A full `hiroba build` against plain Pelican (default theme and settings) over the same
# generated events, alternating, PAIRS pairs: medians of time and peak memory.
EVENTS ?= 10000
PAIRS ?= 3
bench-build: $(BIN)/.installed system-deps
	$(BIN)/python bench/bench_build.py --events $(EVENTS) --pairs $(PAIRS)

# The listings plan alone: a full plan against a re-plan of one new event (EVENTS entries).
bench-plan: $(BIN)/.installed
	$(BIN)/python bench/bench_plan.py --events $(EVENTS)

# PUBLISH=s3: publish to a bucket of a private moto S3 server and time approval-to-bucket.
# EVENTS=50000: the number of published events the approvals are added to (issue 19).
PUBLISH ?= file
EVENTS ?= 10000
bench-publish: $(BIN)/.installed system-deps
	$(BIN)/python bench/bench_publish.py --publish $(PUBLISH) --events $(EVENTS)

# 2,000 concurrent applications for 100 places through gunicorn (SQLite, then PostgreSQL).
bench-apply: $(BIN)/.installed system-deps
	$(BIN)/python bench/bench_apply.py

# The post form hammered with 39-megapixel PNGs of ~120 KB while /healthz is timed (gunicorn).
bench-uploads: $(BIN)/.installed system-deps
	$(BIN)/python bench/bench_uploads.py

# The moderators' account search over 5,000 accounts of sealed data, against a SQL LIKE.
bench-search: $(BIN)/.installed system-deps
	$(BIN)/python bench/bench_account_search.py

# Known vulnerabilities in the installed dependencies (asks PyPI's advisory data).
audit: $(BIN)/.installed
	$(BIN)/pip install --quiet pip-audit
	$(BIN)/pip-audit --skip-editable

clean:
	rm -rf instance .pytest_cache .mypy_cache .ruff_cache
