#!/usr/bin/env bash
# Schema cache reload time: how long studybase takes to rebuild its schema cache (the catalog
# query plus building the C structures, as logged in "schema cache loaded" duration_ms),
# for the seed's schema, and, as the baseline measured in the same run, for the same database
# with 200 extra tables (10 columns, a primary key and a foreign key each).
#   bench/rest/reload.sh [reloads]      (default 21; medians reported)
# Runs in a throwaway cluster (pg_virtualenv) with the build in build/ (scripts/build.sh build).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${PGHOST:-}" ] || { scripts/deps.sh bench && scripts/build.sh build >/dev/null; }
reloads=${1:-21}
if [ -z "${PGHOST:-}" ]; then
  exec pg_virtualenv -t -v 15 "$0" "$@"
fi
STUDYBASE=$PWD/build/studybase
createdb bench_reload
export DATABASE_URL="postgresql://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/bench_reload"
"$STUDYBASE" migrate up >/dev/null

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

measure() {   # prints the median duration_ms of $reloads SIGHUP reloads
  local dir; dir=$(mktemp -d)
  SB_PORT=0 SB_DATA_DIR=$dir SB_JWT_SECRET=0123456789abcdef0123456789abcdef \
    "$STUDYBASE" serve >"$dir/out" 2>"$dir/log" &
  local pid=$!
  until grep -q 'API URL' "$dir/out"; do sleep 0.05; done
  for i in $(seq "$reloads"); do
    local before; before=$(grep -c 'schema cache loaded' "$dir/log")
    kill -HUP $pid
    until [ "$(grep -c 'schema cache loaded' "$dir/log")" -gt "$before" ]; do sleep 0.01; done
  done
  kill $pid; wait $pid || true
  local total query
  total=$(grep '"reason":"SIGHUP"' "$dir/log" | sed 's/.*"duration_ms":"\([0-9.]*\)".*/\1/' | median)
  query=$(grep '"reason":"SIGHUP"' "$dir/log" | sed 's/.*"query_ms":"\([0-9.]*\)".*/\1/' | median)
  echo "$total $query"
  grep '"reason":"SIGHUP"' "$dir/log" | tail -1 | sed 's/.*"tables":"\([0-9]*\)","functions":"\([0-9]*\)".*/tables=\1 functions=\2/' >&2
  rm -rf "$dir"
}

seed=$(measure)
psql -q "$DATABASE_URL" <<'SQL'
DO $$
BEGIN
  FOR i IN 1..200 LOOP
    EXECUTE format('CREATE TABLE extra_%s (id uuid PRIMARY KEY, course_id uuid REFERENCES courses (id),
                    a text, b int, c bigint, d jsonb, e text[], f timestamptz, g boolean, h numeric)', i);
  END LOOP;
END $$;
SQL
extra=$(measure)
set -- $seed; seed_total=$1 seed_query=$2
set -- $extra; extra_total=$1 extra_query=$2
echo "seed schema: median reload ${seed_total} ms (catalog query ${seed_query} ms)"
echo "seed + 200 tables: median reload ${extra_total} ms (catalog query ${extra_query} ms)"
awk -v a="$seed_total" -v b="$extra_total" 'BEGIN { printf "ratio (200 more tables / seed): %.2f\n", b / a }'
