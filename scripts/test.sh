#!/usr/bin/env bash
# The README's test command: install, build (with -Werror, ASan and UBSan), then every suite:
# C unit tests, then in a throwaway PostgreSQL cluster (pg_virtualenv) the migration runner,
# the SQL tests (pgTAP) and the API tests. Leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
scripts/build.sh build-test -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false

passed=0
failed=0
suite() {
  local name=$1
  shift
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "=== $name FAILED"
  fi
}

suite "unit tests (cmocka)" meson test -C build-test --print-errorlogs
suite "database tests (pg_virtualenv)" pg_virtualenv -t -v 15 scripts/test-in-cluster.sh

echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
