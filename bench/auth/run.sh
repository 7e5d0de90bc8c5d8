#!/usr/bin/env bash
# bench/auth/run.sh: auth throughput against baselines measured in the same run, on this machine.
#   1. sign-in (POST /auth/v1/token?grant_type=password) vs raw bcrypt cost-10 verifications
#      with one thread per core (bench/auth/bcrypt_rate.c);
#   2. GET /auth/v1/user with a valid token vs pgbench running the server's SQL for it (role
#      set-up + the user/session query, pipelined, prepared) over as many connections;
#   3. refresh (grant_type=refresh_token, each request rotating a live token) vs pgbench
#      running auth.sb_refresh on a chain of token hashes kept in a table, the same way;
#   4. the server's resident memory at idle and its peak under this load.
# Runs are interleaved (server, baseline, server, ...), RUNS times DURATION seconds each;
# prints a Markdown table of the medians. Needs root (installs wrk if missing).
#   bench/auth/run.sh [RUNS [DURATION]]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-3}
DURATION=${2:-5}

if [ -z "${BENCH_IN_CLUSTER:-}" ]; then
  command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  scripts/build.sh build >/dev/null
  cc -O2 -o build/bcrypt_rate bench/auth/bcrypt_rate.c -lcrypt -pthread
  BENCH_IN_CLUSTER=1 exec pg_virtualenv -t -v 15 "$0" "$RUNS" "$DURATION"
fi

CORES=$(nproc)
THREADS=${SB_THREADS:-4}   # the server's workers (its default), each with one database connection
createdb bench_auth
export DATABASE_URL="postgresql://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/bench_auth"
build/studybase migrate up >/dev/null
trap '[ -s "$work/pgbench.log" ] && tail -3 "$work/pgbench.log" >&2' ERR
work=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$work"' EXIT
export SB_DATA_DIR=$work SB_HOST=127.0.0.1 SB_PORT=0 SB_THREADS=$THREADS \
  SB_RATE_LIMIT_TOKEN=100000000 SB_RATE_LIMIT_VERIFY=100000000 SB_RATE_LIMIT_EMAIL=100000000
build/studybase serve >"$work/out" 2>"$work/log" &
server_pid=$!
until grep -qs '^API URL: ' "$work/out"; do
  kill -0 $server_pid 2>/dev/null || { echo "studybase serve exited:" >&2; tail -5 "$work/log" >&2; exit 1; }
  sleep 0.1
done
URL=$(sed -n 's/^API URL: //p' "$work/out")
export ANON_KEY=$(build/studybase status -o env | sed -n 's/^ANON_KEY=//p' | tr -d '"')
rss_kb() { awk '/^VmRSS/ {print $2}' /proc/$server_pid/status; }
hwm_kb() { awk '/^VmHWM/ {print $2}' /proc/$server_pid/status; }
private_kb() { awk '/^Private_(Clean|Dirty)/ {n += $2} END {print n}' /proc/$server_pid/smaps_rollup; }
idle_rss=$(rss_kb)
idle_private=$(private_kb)

export EMAIL=bench@example.com PASSWORD=bench-password
api() { curl -sf -H "apikey: $ANON_KEY" -H 'Content-Type: application/json' "$@"; }
api -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$URL/auth/v1/signup" >"$work/signup.json"
export ACCESS_TOKEN=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' <"$work/signup.json")
claims=$(python3 -c 'import json,sys,base64; p=sys.argv[1].split(".")[1]; c=json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4))); print(c["sub"], c["session_id"])' "$ACCESS_TOKEN")
read -r SUB SID <<<"$claims"
export TOKENS_FILE=$work/tokens WRK_THREADS=$CORES
new_refresh_tokens() {  # 32 new sessions' refresh tokens, one per line
  for i in $(seq 1 32); do
    api -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$URL/auth/v1/token?grant_type=password" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["refresh_token"])'
  done
}
# pgbench's chains: 32 sessions of their own, their tokens' hashes in a table it rotates
psql -q -X "$DATABASE_URL" -c 'CREATE TABLE bench_tokens (i int PRIMARY KEY, h text)' -c 'GRANT SELECT, UPDATE ON bench_tokens TO service_role'
n=0; new_refresh_tokens | while read -r t; do n=$((n + 1)); echo "$n,$(printf %s "$t" | sha256sum | cut -d' ' -f1)"; done |
  psql -q -X "$DATABASE_URL" -c '\copy bench_tokens FROM STDIN WITH (FORMAT csv)'

setup="SELECT set_config('role', 'service_role', true), set_config('request.jwt.claims', '', true), set_config('request.jwt.claim.sub', '', true), set_config('request.jwt.claim.role', 'service_role', true), set_config('statement_timeout', '8000', true);"
cat >"$work/user.sql" <<SQL
\\startpipeline
$setup
SELECT (SELECT auth.sb_user_json(u) FROM auth.users u WHERE u.id = CASE WHEN :sub ~* '^[0-9a-f-]{36}\$' THEN :sub::uuid END), :sid::text IS NULL OR EXISTS (SELECT 1 FROM auth.sessions s WHERE s.id = CASE WHEN :sid ~* '^[0-9a-f-]{36}\$' THEN :sid::uuid END AND s.user_id::text = :sub);
\\endpipeline
SQL
cat >"$work/refresh.sql" <<SQL
\\set i random(1, 32)
\\startpipeline
$setup
WITH old AS (SELECT h FROM bench_tokens WHERE i = :i FOR UPDATE), new AS (SELECT md5(random()::text || clock_timestamp()::text) AS h), r AS (SELECT f.* FROM old, new, auth.sb_refresh(old.h, new.h, 10, repeat('0', 152)) f), moved AS (UPDATE bench_tokens SET h = (SELECT h FROM new) WHERE i = :i) SELECT * FROM r;
\\endpipeline
SQL

wrk_rate() {  # script path → requests/s; fails on any non-2xx answer
  local out
  out=$(wrk -t "$CORES" -c "$((THREADS * 2))" -d "${DURATION}s" -s "bench/auth/$1" "$URL$2")
  if grep -q 'Non-2xx' <<<"$out"; then echo "wrk: non-2xx answers: $out" >&2; exit 1; fi
  awk '/^Requests\/sec:/ {print $2}' <<<"$out"
}
pgbench_rate() {
  pgbench -n -M prepared -c "$THREADS" -j "$CORES" -T "$DURATION" -D "sub=$SUB" -D "sid=$SID" -f "$1" "$DATABASE_URL" 2>"$work/pgbench.log" |
    awk '/^tps = / {print $3}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

: >"$work/signin" ; : >"$work/bcrypt"; : >"$work/user"; : >"$work/pg_user"; : >"$work/refresh"; : >"$work/pg_refresh"
for r in $(seq 1 "$RUNS"); do
  wrk_rate signin.lua "/auth/v1/token?grant_type=password" >>"$work/signin"
  build/bcrypt_rate "$CORES" "$DURATION" >>"$work/bcrypt"
  wrk_rate user.lua /auth/v1/user >>"$work/user"
  pgbench_rate "$work/user.sql" >>"$work/pg_user"
  new_refresh_tokens >"$TOKENS_FILE"   # wrk's chains start afresh each run
  wrk_rate refresh.lua /auth/v1/token?grant_type=refresh_token >>"$work/refresh"
  pgbench_rate "$work/refresh.sql" >>"$work/pg_refresh"
done
peak=$(hwm_kb)
after_rss=$(rss_kb)
after_private=$(private_kb)

row() {
  local s b
  s=$(median <"$work/$2"); b=$(median <"$work/$3")
  printf '| %s | %.1f/s | %s | %.1f/s | %.2f | %s |\n' "$1" "$s" "$4" "$b" "$(awk -v s="$s" -v b="$b" 'BEGIN {print s / b}')" "$5"
}
echo "machine: $CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg); runs: $RUNS x ${DURATION}s; server threads: $THREADS; wrk connections: $((THREADS * 2)); pgbench connections: $THREADS"
echo
echo '| measure | studybase | baseline | baseline rate | ratio | target |'
echo '| --- | --- | --- | --- | --- | --- |'
row 'sign-in (password grant)' signin bcrypt 'bcrypt cost-10 verifications' '>= 0.9'
row 'GET /auth/v1/user' user pg_user 'pgbench, same SQL' '>= 0.8'
row 'refresh (refresh_token grant)' refresh pg_refresh 'pgbench, auth.sb_refresh' '-'
echo
echo "server resident memory (VmRSS, shared library pages included): idle at start $idle_rss kB; peak under load $peak kB; idle after load $after_rss kB"
echo "of which private to the process (smaps Private_*): idle at start $idle_private kB; idle after load $after_private kB"
