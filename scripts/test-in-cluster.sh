#!/usr/bin/env bash
# Runs inside pg_virtualenv (PGHOST, PGPORT, PGUSER, PGPASSWORD point at a throwaway cluster):
# creates a database and runs the suites against it: the CLI tests (which migrate it and leave
# it migrated), the SQL tests (pgTAP), pgvector's regression files, the API tests (node's test
# runner + supabase-js), then the standing security suite (tests/security).
# Every suite runs even when an earlier one fails; the exit status says whether all passed.
set -uo pipefail
cd "$(dirname "$0")/.."
export STUDYBASE=${STUDYBASE:-$PWD/build-test/studybase}
export TEST_DB=studybase_test
createdb "$TEST_DB" || exit 1
export DATABASE_URL="postgresql://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$TEST_DB"

status=0
prove --exec bash --timer tests/cli/*.t || status=1
"$STUDYBASE" migrate up >/dev/null || exit 1

shopt -s nullglob
sqlfiles=(db/tests/*.sql ext/vector/test/*.sql)
if [ ${#sqlfiles[@]} -gt 0 ]; then
  pg_prove --timer -d "$TEST_DB" "${sqlfiles[@]}" || status=1
fi

# pgvector 0.8.0's own regression files, unchanged, against our extension (downloaded from
# Debian's archive, hash checked; only the differences ext/vector/README.md explains may remain)
ext/vector/test/pgvector-regress.sh --known || status=1

if [ -d tests/api/node_modules ]; then
  (cd tests/api && node --test --test-concurrency=1) || status=1
else
  echo "tests/api: node_modules missing (scripts/deps.sh test runs npm ci)" >&2
  status=1
fi

# the standing security suite: one test per finding of a security review (same runner and
# helpers as tests/api: tests/api/lib, whose require()s resolve in tests/api/node_modules)
securityfiles=(tests/security/*.test.js)
if [ ${#securityfiles[@]} -gt 0 ]; then
  node --test --test-concurrency=1 "${securityfiles[@]}" || status=1
fi
exit $status
