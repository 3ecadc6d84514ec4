#!/usr/bin/env bash
# Runs the setup that `npm start` and `npm test` need, only when it is missing or stale, then runs
# the command it was given (exec, so signals reach it: `npm start` stops on SIGTERM).
#
# Two stamps under node_modules (so a deleted node_modules means "not set up"):
# - the dependencies: a hash of the lockfile and scripts/setup.sh; a change runs the whole setup;
# - the workflow bundle: a hash of the workflow sources; a change rebuilds only the bundle. The
#   worker makes the authoritative check at start (src/temporal/workflowBundle.ts) and bundles
#   itself if the bundle is still stale; this only saves it the work.
# Checking costs two hashes of a few hundred KiB: well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

deps_stamp=node_modules/.callback-events-setup
bundle_stamp=node_modules/.callback-events-bundle

deps_hash="$(cat package-lock.json scripts/setup.sh | sha256sum | cut -d' ' -f1)"
workflows_hash="$(find workflows -type f -name '*.ts' -print0 | sort -z | xargs -0 cat | sha256sum | cut -d' ' -f1)"

# scripts/setup.sh ends here: what it just did is now current.
if [ "${1:-}" = "--mark-done" ]; then
  echo "$deps_hash" >"$deps_stamp"
  echo "$workflows_hash" >"$bundle_stamp"
  exit 0
fi

if [ ! -f "$deps_stamp" ] || [ "$(cat "$deps_stamp")" != "$deps_hash" ]; then
  echo "Setting up (first run, or the lockfile changed): npm run setup"
  bash scripts/setup.sh
elif [ ! -f "$bundle_stamp" ] || [ "$(cat "$bundle_stamp")" != "$workflows_hash" ]; then
  npm run --silent build:workflows
  echo "$workflows_hash" >"$bundle_stamp"
fi

[ "$#" -eq 0 ] || exec "$@"
