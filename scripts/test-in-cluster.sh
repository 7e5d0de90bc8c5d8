#!/usr/bin/env bash
# Runs inside pg_virtualenv (PGHOST, PGPORT, PGUSER, PGPASSWORD point at a throwaway cluster):
# creates a database and runs the TAP suites against it: the CLI tests (which migrate it and
# leave it migrated), then the SQL tests (pgTAP).
set -euo pipefail
cd "$(dirname "$0")/.."
export STUDYBASE=${STUDYBASE:-$PWD/build-test/studybase}
export TEST_DB=studybase_test
createdb "$TEST_DB"
export DATABASE_URL="postgresql://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$TEST_DB"

prove --exec bash --timer tests/cli/*.t
"$STUDYBASE" migrate up >/dev/null

shopt -s nullglob
sqlfiles=(db/tests/*.sql ext/vector/test/*.sql)
if [ ${#sqlfiles[@]} -gt 0 ]; then
  pg_prove --timer -d "$TEST_DB" "${sqlfiles[@]}"
fi
