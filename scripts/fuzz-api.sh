#!/usr/bin/env bash
# Fuzzes the HTTP API against its own OpenAPI document with schemathesis (npm run test:fuzz).
#
# Starts the real service (`src/main.ts`: the API, a worker and the embedded Temporal dev server)
# on free ports with a throwaway DATA_DIR and an admin API key, waits until /healthz answers,
# runs schemathesis with every check, then makes sure the service still answers /healthz and
# stops it. Fails on any schemathesis failure: a 5xx, a status code, content type, header or body
# the document does not allow, a request that times out, and so on.
#
# Knobs: FUZZ_MAX_EXAMPLES (test cases per operation and phase, default 40), FUZZ_SEED; any
# arguments are passed on to `schemathesis run` (for example `--phases examples`).
#
# schemathesis's own console output ends with pytest-style lines ("=== 1 warning in 97.80s ===")
# that a CI log reader would take for a pytest run: it goes to schemathesis.log in the work
# folder, and this script prints only its own closing line, "fuzz: N passed, N failed, N skipped".
# On failure the work folder is kept, and its path and the log's tail are printed.
set -euo pipefail
cd "$(dirname "$0")/.."

# pip may install the CLI beside the interpreter without a shim on PATH: the module works either way.
if command -v schemathesis >/dev/null 2>&1; then
  st=(schemathesis)
elif python3 -m schemathesis.cli --version >/dev/null 2>&1; then
  st=(python3 -m schemathesis.cli)
else
  echo "schemathesis is not installed: run npm run setup" >&2
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/callback-events-fuzz-XXXXXX")"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
api_port="$(free_port)"
key="fuzz-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
base="http://127.0.0.1:${api_port}"
service_pid=""

stop_service() {
  if [ -n "$service_pid" ] && kill -0 "$service_pid" 2>/dev/null; then
    kill -TERM "$service_pid" 2>/dev/null || true
    # The service stops its worker and the dev server on SIGTERM; give it time, then insist.
    for _ in $(seq 1 60); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$service_pid" 2>/dev/null || true
  fi
  service_pid=""
}
cleanup() {
  status=$?
  stop_service
  if [ "$status" -ne 0 ]; then
    # Tails only: schemathesis's closing summary lines are cut off by grep so none reads as a runner's.
    for log in "$work/schemathesis.log" "$work/service.log"; do
      [ -f "$log" ] || continue
      echo "--- $log (last 80 lines) ---" >&2
      tail -n 80 "$log" | grep -Ev '^=+ .* in [0-9.]+s =+$' >&2 || true
    done
    echo "fuzz: logs kept in $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT INT TERM

# The real service, as `npm start` runs it (node with tsx directly, so SIGTERM reaches it).
DATA_DIR="$work/data" HOST=127.0.0.1 PORT="$api_port" \
  TEMPORAL_PORT="$(free_port)" TEMPORAL_UI_PORT="$(free_port)" \
  CALLBACKS_API_KEY="admin:${key}" LOG_LEVEL=warn \
  node --import tsx src/main.ts >"$work/service.log" 2>&1 &
service_pid=$!

healthy() { curl -fsS --max-time 5 "$base/healthz" >/dev/null 2>&1; }
for _ in $(seq 1 240); do
  healthy && break
  kill -0 "$service_pid" 2>/dev/null || { echo "the service exited before it was healthy" >&2; exit 1; }
  sleep 0.5
done
healthy || { echo "the service did not become healthy within 120 s" >&2; exit 1; }
echo "service up at $base"

# Every check: no --checks here, because a --checks on the command line would override the per-
# operation settings in scripts/schemathesis.toml, which turns one check off for a few operations
# and says why.
# --request-timeout bounds each call: POST /v1/endpoints/{id}/test waits for its one attempt
# (attemptTimeoutMs + 15 s at most), so 30 s leaves room for the default.
# Run from the work folder, so schemathesis's cache (.schemathesis/) does not land in the repository.
# One worker: with two threads, hypothesis parses source (ast.parse) in both at once, and the
# Python 3.11 here keeps the AST constructor's recursion depth per interpreter, not per thread: the
# two race, and schemathesis reports "AST constructor recursion depth mismatch" runtime errors at
# random (seen on GET /v1/calls/{callId} and POST /v1/deliveries/{id}/discard).
config="$PWD/scripts/schemathesis.toml"
st_status=0
(cd "$work" && "${st[@]}" --config-file "$config" run "$base/openapi.json" \
  --header "Authorization: Bearer ${key}" \
  --max-examples "${FUZZ_MAX_EXAMPLES:-40}" \
  ${FUZZ_SEED:+--seed "$FUZZ_SEED"} \
  --request-timeout 30 \
  --workers 1 \
  --suppress-health-check too_slow \
  --report junit --report-dir "$work/report" \
  "$@" >"$work/schemathesis.log" 2>&1) || st_status=$?
sed -n 's/^ *\([0-9][0-9]*\) generated.*/fuzz: schemathesis generated \1 test cases/p' "$work/schemathesis.log" || true

# The plain closing line test tooling reads, one test per API operation, from the JUnit report.
python3 - "$work/report" <<'PY' || true
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.xml"):
    for case in ET.parse(path).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
print(f"fuzz: {passed} passed, {failed} failed, {skipped} skipped")
PY
[ "$st_status" -eq 0 ] || exit "$st_status"

# Whatever schemathesis sent, the service must still be there.
healthy || { echo "the service no longer answers /healthz after fuzzing" >&2; exit 1; }
echo "the service still answers /healthz"
