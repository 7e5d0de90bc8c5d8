# studybase dev: creates a private cluster, migrates it and serves /health; Ctrl-C stops both;
# a second run reuses the data; with DATABASE_URL set it starts no cluster; it changes no
# permission outside its data folder. As root, when the postgres user cannot reach the data
# folder (a closed folder above it, like /root), the cluster lives in a folder of the postgres
# user's home (~postgres/studybase/<id>), linked from the data folder's pg; stop, status and a
# second dev find it there. The test removes what it creates there, pass or fail.
# Needs STUDYBASE (the binary) and DATABASE_URL (a database it may migrate). Speaks TAP.
set -u
n=0
check() { local desc=$1; shift; n=$((n + 1)); if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fi; }

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}

data=$(mktemp -d)
other=$(mktemp -d)
closed=$(mktemp -d) # mode 0700: no other user may enter
db_port=$(free_port)
api_port=$(free_port)
pid=""
pg_home=$(getent passwd postgres | cut -d: -f6)
outside_base=${pg_home:-/nonexistent}/studybase
[ -e "$outside_base" ] && base_existed=1 || base_existed=0
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  SB_DATA_DIR=$data "$STUDYBASE" stop >/dev/null 2>&1
  SB_DATA_DIR=$closed/data "$STUDYBASE" stop >/dev/null 2>&1
  local outside
  outside=$(readlink "$closed/data/pg" 2>/dev/null)
  case $outside in "$outside_base"/?*) rm -rf "$outside" ;; esac
  [ "$base_existed" = 1 ] || rmdir "$outside_base" 2>/dev/null
  rm -rf "$data" "$other" "$closed"
}
trap cleanup EXIT

start_dev() { # $1: log file; remaining: extra environment
  local log=$1
  shift
  env "$@" SB_PORT="$api_port" "$STUDYBASE" dev >"$log" 2>&1 &
  pid=$!
}
health_answers() { # polls until the server is ready or gives up after 60 s
  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$api_port/health" >/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}
interrupt_and_wait() { kill -INT "$pid"; wait "$pid"; local rc=$?; pid=""; return $rc; }
private_db() { psql "postgresql://postgres:postgres@127.0.0.1:$db_port/postgres" -XAtqc "$1" 2>/dev/null; }
app_tables() { private_db "select count(*) from pg_tables where schemaname = 'public' and tablename in ('academic','personalized','courses','materials','chat_history')"; }

echo "1..28"

start_dev "$data/first.log" -u DATABASE_URL SB_DATA_DIR="$data" SB_DB_PORT="$db_port"
check "the first run serves /health" health_answers
check "it created a cluster in the data folder" grep -q "creating the local PostgreSQL cluster" "$data/first.log"
check "the private cluster is migrated (five app tables)" [ "$(app_tables)" = 5 ]
expected_data_mode=700; [ "$(id -u)" -eq 0 ] && expected_data_mode=701 # root: postgres passes through
check "the data folder is closed to others (0700; 0701 as root)" [ "$(stat -c %a "$data")" = "$expected_data_mode" ]
topn_plan() { private_db "explain select v from plain_vectors order by v <-> (select v from plain_vectors limit 1) limit 2"; }
private_db "create table public.plain_vectors (v vector(3)); insert into plain_vectors values ('[1,2,3]'), ('[3,2,1]')"
check "a session's first query can use the vector extension's top-N scan (library preloaded)" \
  bash -c "grep -q 'Vector Exact Top-N' <<<\"\$1\"" _ "$(topn_plan)"
private_db "create table public.kept_between_runs (x int); insert into kept_between_runs values (42)"
check "Ctrl-C stops the server cleanly" interrupt_and_wait
check "and stops the cluster" [ -z "$(private_db 'select 1')" ]
check "stopping logs no warning and no raw server text (backends the cluster ends)" \
  bash -c "! grep -qE '\"level\":\"(warn|error)\"|^(FATAL|ERROR|WARNING):' '$data/first.log'"

start_dev "$data/second.log" -u DATABASE_URL SB_DATA_DIR="$data" SB_DB_PORT="$db_port"
check "a second run serves /health" health_answers
check "it reuses the cluster" bash -c "! grep -q 'creating the local' '$data/second.log'"
check "and its data" [ "$(private_db 'select x from kept_between_runs')" = 42 ]
interrupt_and_wait

createdb studybase_dev_test
start_dev "$other/external.log" SB_DATA_DIR="$other" DATABASE_URL="${DATABASE_URL%/*}/studybase_dev_test"
check "with DATABASE_URL it serves /health" health_answers
check "and creates no cluster" [ ! -e "$other/pg" ]
check "and exits cleanly on Ctrl-C" interrupt_and_wait

# the modes and owners of every folder above the closed data folder and above the postgres
# user's home: dev must change none of them
folders_above() {
  local d
  for d in "$closed/data" "$outside_base"; do
    d=$(dirname "$d")
    while :; do stat -c '%n %a %U' "$d"; [ "$d" = / ] && break; d=$(dirname "$d"); done
  done
}
is_outside_folder() { [[ $1 =~ ^$outside_base/[0-9a-f]{12}$ ]]; }
owned_by_postgres_and_closed() { [ "$(stat -c '%a %U' "$@" | sort -u)" = "700 postgres" ]; }
said_once_where_it_lives() { [ "$(grep -cF "local PostgreSQL cluster lives in $1" "$2")" = 1 ]; }
status_says_running() { env -u DATABASE_URL SB_DATA_DIR="$1" "$STUDYBASE" status | grep -q "local database: running"; }
stop_stops_it() { # $1: data folder, $2: the cluster's folder
  SB_DATA_DIR=$1 "$STUDYBASE" stop | grep -q "^stopped the local PostgreSQL cluster" &&
    ! runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl status -D "$2" >/dev/null 2>&1 &&
    [ -z "$(private_db 'select 1')" ]
}
reused() { # $1: log, $2: the cluster's folder
  ! grep -q "creating the local" "$1" && [ "$(readlink "$closed/data/pg")" = "$2" ] &&
    [ "$(private_db 'select x from kept_outside')" = 7 ]
}

if [ "$(id -u)" -eq 0 ]; then
  modes_before=$(folders_above)
  start_dev "$other/closed.log" -u DATABASE_URL SB_DATA_DIR="$closed/data" SB_DB_PORT="$db_port"
  check "as root, with a closed folder above the data folder, dev still serves /health" health_answers
  outside=$(readlink "$closed/data/pg")
  check "the data folder's pg links to a folder in ~postgres/studybase" is_outside_folder "$outside"
  check "which postgres owns, closed to others (0700), as is ~postgres/studybase" \
    owned_by_postgres_and_closed "$outside_base" "$outside"
  check "the cluster's files are there" [ -f "$outside/PG_VERSION" ]
  check "dev says in one line where the cluster lives" said_once_where_it_lives "$outside" "$other/closed.log"
  check "the cluster is migrated (five app tables)" [ "$(app_tables)" = 5 ]
  check "the data folder is 0700 (postgres does not pass through it)" [ "$(stat -c %a "$closed/data")" = 700 ]
  private_db "create table public.kept_outside (x int); insert into kept_outside values (7)"
  kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=""
  check "killed, dev leaves the cluster running; status finds it" status_says_running "$closed/data"
  check "studybase stop stops it" stop_stops_it "$closed/data" "$outside"
  check "and leaves its folder in place" [ -f "$outside/PG_VERSION" ]
  start_dev "$other/closed2.log" -u DATABASE_URL SB_DATA_DIR="$closed/data" SB_DB_PORT="$db_port"
  check "a second dev serves /health" health_answers
  check "reusing that cluster and its data" reused "$other/closed2.log" "$outside"
  check "Ctrl-C stops it" interrupt_and_wait
  check "no folder above the data folder or ~postgres changed mode or owner" \
    [ "$(folders_above)" = "$modes_before" ]
else
  for what in "serves" "links" "owner" "files" "says where" "migrated" "data folder mode" "status" "stop" \
    "folder kept" "second dev" "reuses" "Ctrl-C" "modes above"; do
    n=$((n + 1)); echo "ok $n # skip not root: the postgres user is only used as root ($what)"
  done
fi
