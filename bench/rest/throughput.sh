#!/usr/bin/env bash
# The data API against PostgreSQL alone: for each scenario, wrk drives studybase over HTTP as a
# signed-in student, then pgbench sends the very SQL studybase sent (captured from
# pg_stat_activity) over the same number of connections, pipelined the same way (role and
# claims set-up + statement, one Sync), with the same parameters. The ratio studybase/pgbench
# is how much of the database's own rate the HTTP layer keeps.
#   bench/rest/throughput.sh [seconds per run] [connections]     (defaults 10 and 4)
# Scenarios: GET one course by id (select=*); POST one course with return=representation;
# GET 50 courses with their materials embedded. Runs in a throwaway cluster (pg_virtualenv)
# with the optimised build in build/ (scripts/build.sh build). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${PGHOST:-}" ] || { scripts/deps.sh bench && scripts/build.sh build >/dev/null; }
seconds=${1:-10}
conns=${2:-4}
if [ -z "${PGHOST:-}" ]; then
  exec pg_virtualenv -t -v 15 "$0" "$@"
fi
STUDYBASE=$PWD/build/studybase
work=$(mktemp -d)
trap 'kill ${server_pid:-}  2>/dev/null || true; rm -rf "$work"' EXIT
createdb bench_rest
export DATABASE_URL="postgresql://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/bench_rest"
"$STUDYBASE" migrate up >/dev/null
q() { psql -X -qAt "$DATABASE_URL" -c "$1"; }

# A student with 50 courses of 2 materials each, and a token for them.
secret=$(openssl rand -hex 32)
uid=$(q "INSERT INTO auth.users (email) VALUES ('bench@example.com') RETURNING id")
q "INSERT INTO courses (user_id, name) SELECT '$uid', 'course ' || i FROM generate_series(1, 50) i" >/dev/null
q "INSERT INTO materials (course_id, name, file_path, file_type, file_size)
   SELECT c.id, 'm' || i || '.pdf', c.user_id || '/' || c.id || '/m' || i || '.pdf', 'application/pdf', 1000 * i FROM courses c, generate_series(1, 2) i" >/dev/null
course=$(q "SELECT id FROM courses ORDER BY name LIMIT 1")
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
claims="{\"sub\":\"$uid\",\"role\":\"authenticated\",\"aud\":\"authenticated\",\"iat\":$now,\"exp\":$((now + 86400))}"
head=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
body=$(printf '%s' "$claims" | b64url)
token="$head.$body.$(printf '%s.%s' "$head" "$body" | openssl dgst -sha256 -hmac "$secret" -binary | b64url)"

start_server() {   # $1 = worker threads
  SB_PORT=0 SB_THREADS=$1 SB_DATA_DIR=$work SB_JWT_SECRET=$secret "$STUDYBASE" serve >"$work/out" 2>"$work/log" &
  server_pid=$!
  until grep -q 'API URL' "$work/out"; do sleep 0.05; done
  url=$(sed -n 's/^API URL: //p' "$work/out")
}
stop_server() { kill $server_pid; wait $server_pid || true; : >"$work/out"; }
anon_key() { SB_DATA_DIR=$work SB_JWT_SECRET=$secret "$STUDYBASE" status -o env | sed -n 's/^ANON_KEY=//p'; }

insert_body="{\"user_id\":\"$uid\",\"name\":\"bench insert\"}"
scenarios=(get_one list_50 insert_one)
declare -A path method params
path[get_one]="courses?id=eq.$course&select=*";      method[get_one]=GET;  params[get_one]="p1=$course"
path[insert_one]="courses";                           method[insert_one]=POST; params[insert_one]="p1=$insert_body"
path[list_50]="courses?select=*,materials(*)&limit=50"; method[list_50]=GET; params[list_50]="p1=50"

request() {   # one request of scenario $1 with curl (for capturing the SQL)
  local data=()
  [ "${method[$1]}" = POST ] && data=(--data-binary "$insert_body")
  curl -s -o /dev/null -X "${method[$1]}" -H "apikey: $apikey" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -H 'Prefer: return=representation' "${data[@]}" "$url/rest/v1/${path[$1]}"
}

# Capture each scenario's statement from the single worker's connection.
start_server 1
apikey=$(anon_key)
for s in "${scenarios[@]}"; do
  request "$s"
  q "SELECT query FROM pg_stat_activity WHERE application_name = 'studybase' AND backend_type = 'client backend' AND query LIKE '%pgrst%' ORDER BY state_change DESC LIMIT 1" \
    >"$work/$s.sql"
done
stop_server

setup="SELECT set_config('role', :role, true), set_config('request.jwt.claims', :claims, true), set_config('request.jwt.claim.sub', :sub, true), set_config('request.jwt.claim.role', :role, true), set_config('statement_timeout', :timeout, true);"
for s in "${scenarios[@]}"; do
  { echo '\startpipeline'; echo "$setup"; sed -E 's/\$([0-9]+)/:p\1/g' "$work/$s.sql" | tr '\n' ' '; echo ';';
    echo '\endpipeline'; } >"$work/$s.pgbench"
done

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$insert_body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Prefer"] = "return=representation"
LUA

percentile() { sort -n | awk -v p="$1" '{ a[NR] = $1 } END { i = int(NR * p / 100); if (i < 1) i = 1; print a[i] }'; }
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }'; }

echo "| scenario | studybase req/s | pgbench tx/s | ratio | studybase p50 / p99 ms | pgbench p50 / p99 ms |"
echo "| --- | --- | --- | --- | --- | --- |"
start_server "$conns"
apikey=$(anon_key)
for s in "${scenarios[@]}"; do
  lua=(); [ "${method[$s]}" = POST ] && lua=(-s "$work/post.lua")
  wrk -t 2 -c "$conns" -d "${seconds}s" --latency "${lua[@]}" -H "apikey: $apikey" -H "Authorization: Bearer $token" \
    "$url/rest/v1/${path[$s]}" >"$work/$s.wrk"
  rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$work/$s.wrk")
  p50=$(awk '$1 == "50%" { print $2 }' "$work/$s.wrk" | to_ms)
  p99=$(awk '$1 == "99%" { print $2 }' "$work/$s.wrk" | to_ms)
  errors=$(awk '/Non-2xx/ { print " (non-2xx: " $4 ")" }' "$work/$s.wrk")
  rm -f "$work"/pgbench_log*
  pgbench -n -M prepared -c "$conns" -j 2 -T "$seconds" -f "$work/$s.pgbench" -l --log-prefix="$work/pgbench_log" \
    -D role=authenticated -D "claims=$claims" -D "sub=$uid" -D timeout=8000 -D "${params[$s]}" \
    "$DATABASE_URL" >"$work/$s.pgbench.out" 2>&1
  tps=$(awk '/^tps/ { printf "%.0f", $3 }' "$work/$s.pgbench.out")
  cat "$work"/pgbench_log* | awk '{ print $3 / 1000 }' >"$work/lat"
  pp50=$(percentile 50 <"$work/lat"); pp99=$(percentile 99 <"$work/lat")
  ratio=$(awk -v a="$rps" -v b="$tps" 'BEGIN { printf "%.2f", a / b }')
  echo "| $s$errors | $rps | $tps | $ratio | $p50 / $p99 | $(printf '%.2f' "$pp50") / $(printf '%.2f' "$pp99") |"
done
rss=$(awk '/VmRSS/ { print $2 }' /proc/$server_pid/status)
hwm=$(awk '/VmHWM/ { print $2 }' /proc/$server_pid/status)
stop_server
echo
echo "studybase memory after the runs: RSS $((rss / 1024)) MiB, peak $((hwm / 1024)) MiB ($conns worker threads)"
