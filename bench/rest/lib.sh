# Shared by bench/rest/throughput.sh and bench/rest/cost.sh (sourced inside pg_virtualenv, from
# the repository root): the bench database, a student with 50 courses of 2 materials and a
# token for them, the three scenarios, and starting/stopping a server.
STUDYBASE=${SB_BENCH_BINARY:-$PWD/build/studybase}   # SB_BENCH_BINARY: another build to measure
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

start_server() {   # $1 = worker threads; further arguments: a command to run the server under
  local threads=$1; shift
  SB_PORT=0 SB_THREADS=$threads SB_DATA_DIR=$work SB_JWT_SECRET=$secret "$@" "$STUDYBASE" serve >"$work/out" 2>"$work/log" &
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

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$insert_body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Prefer"] = "return=representation"
LUA

run_wrk() {   # $1 = scenario, $2 = seconds, $3 = connections; output in $work/$1.wrk
  local lua=(); [ "${method[$1]}" = POST ] && lua=(-s "$work/post.lua")
  wrk -t 2 -c "$3" -d "$2s" --latency "${lua[@]}" -H "apikey: $apikey" -H "Authorization: Bearer $token" \
    "$url/rest/v1/${path[$1]}" >"$work/$1.wrk"
}
wrk_requests() { awk '/requests in/ { print $1 }' "$work/$1.wrk"; }

request() {   # one request of scenario $1 with curl
  local data=()
  [ "${method[$1]}" = POST ] && data=(--data-binary "$insert_body")
  curl -s -o /dev/null -X "${method[$1]}" -H "apikey: $apikey" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -H 'Prefer: return=representation' "${data[@]}" "$url/rest/v1/${path[$1]}"
}

# The baseline: each scenario's statement, captured from a single worker's connection, in a
# pgbench script that pipelines it after the role/claims set-up with one Sync, as studybase
# sends them ($work/<scenario>.pgbench).
# The statement studybase sent for each scenario, read from the server log with every
# statement logged (pg_stat_activity shows only a session's last statement, and studybase
# ends each request with RESET ALL). The log is pg_virtualenv's, beside the data directory.
capture_pgbench_scripts() {
  local log; log="$(dirname "$(dirname "$(dirname "$(q 'SHOW data_directory')")")")/log/postgresql-15-regress.log"
  q "ALTER SYSTEM SET log_min_duration_statement = 0" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
  start_server 1
  apikey=$(anon_key)
  for s in "${scenarios[@]}"; do
    local from; from=$(wc -l <"$log")
    request "$s"
    tail -n +"$((from + 1))" "$log" | awk '
      /LOG: +duration: .* (execute|statement)/ { keep = ($0 ~ /pgrst/); if (keep) { sub(/.*(execute [^:]*|statement): /, ""); text = $0 }; next }
      /^[0-9][0-9][0-9][0-9]-/ { keep = 0; next }
      keep { text = text "\n" $0 }
      END { print text }' >"$work/$s.sql"
  done
  stop_server
  q "ALTER SYSTEM RESET log_min_duration_statement" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
  local setup="SELECT set_config('role', :role, true), set_config('request.jwt.claims', :claims, true), set_config('request.jwt.claim.sub', :sub, true), set_config('request.jwt.claim.role', :role, true), set_config('statement_timeout', :timeout, true);"
  for s in "${scenarios[@]}"; do
    { echo '\startpipeline'; echo "$setup"; sed -E 's/\$([0-9]+)/:p\1/g' "$work/$s.sql" | tr '\n' ' '; echo ';';
      echo '\endpipeline'; } >"$work/$s.pgbench"
  done
}

run_pgbench() {   # $1 = scenario, $2 = seconds, $3 = connections, then extra pgbench options; output in $work/$1.pgbench.out
  local s=$1 seconds=$2 conns=$3; shift 3
  pgbench -n -M prepared -c "$conns" -j 2 -T "$seconds" -f "$work/$s.pgbench" "$@" \
    -D role=authenticated -D "claims=$claims" -D "sub=$uid" -D timeout=8000 -D "${params[$s]}" \
    "$DATABASE_URL" >"$work/$s.pgbench.out" 2>&1
}

# CPU accounting (bench/rest/cost.sh, bench/rest/ceiling.sh).
hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
postmaster=$(head -1 "$(q 'SHOW data_directory')/postmaster.pid")
pg_ticks() {   # CPU of every PostgreSQL process: the live children, plus the ones that exited
  local t p; t=$(awk '{ print $16 + $17 }' "/proc/$postmaster/stat")
  for p in $(ps --ppid "$postmaster" -o pid=); do t=$((t + $(ticks "$p"))); done
  echo "$t"
}
per_request() { awk -v t="$1" -v n="$2" -v hz="$hz" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }'; }
# The client's CPU: this shell's waited-for children, from `times` (run in this shell, not a
# subshell, whose own children's times start at zero).
children_seconds() {   # sets cs
  times >"$work/times"
  cs=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/times")
}
