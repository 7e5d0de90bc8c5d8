# studybase dev: creates a private cluster, migrates it and serves /health; Ctrl-C stops both;
# a second run reuses the data; with DATABASE_URL set it starts no cluster; it changes no
# permission outside its data folder (as root, a data folder the postgres user cannot reach
# stops it with advice instead).
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
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  SB_DATA_DIR=$data "$STUDYBASE" stop >/dev/null 2>&1
  SB_DATA_DIR=$closed/data "$STUDYBASE" stop >/dev/null 2>&1
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

echo "1..18"

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

if [ "$(id -u)" -eq 0 ]; then
  env -u DATABASE_URL SB_DATA_DIR="$closed/data" SB_DB_PORT="$db_port" SB_PORT="$api_port" \
    timeout 60 "$STUDYBASE" dev >"$other/closed.log" 2>&1
  rc=$?
  check "as root, a data folder the postgres user cannot reach stops dev (not killed by timeout)" \
    bash -c '[ "$1" -ne 0 ] && [ "$1" -ne 124 ]' _ "$rc"
  check "and says which folder is closed and what to do" \
    bash -c "grep -q 'may not enter $closed\\.' '$other/closed.log' && grep -q 'SB_DATA_DIR' '$other/closed.log'"
  check "the closed folder above keeps its mode (0700)" [ "$(stat -c %a "$closed")" = 700 ]
  check "and no cluster was created" [ ! -e "$closed/data/pg/PG_VERSION" ]
else
  for what in "stops dev" "says what to do" "keeps its mode" "no cluster"; do
    n=$((n + 1)); echo "ok $n # skip not root: the postgres user is only used as root ($what)"
  done
fi
