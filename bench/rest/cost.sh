#!/usr/bin/env bash
# What one /rest/v1 request costs the server, in figures that do not depend on how busy the
# machine is (unlike bench/rest/throughput.sh's rates): for each scenario of throughput.sh,
#   - CPU µs/request: utime+stime of the server process (all threads, /proc/PID/stat) over a
#     wrk run, divided by the requests wrk completed; the same for the PostgreSQL backends
#     serving the server and for wrk itself, to show where the two cores go;
#   - syscalls/request: `strace -c -f` attached to the server over a wrk run;
#   - instructions/request: callgrind (instrumentation switched on after a warm-up) over a
#     wrk run, less any database connection a worker thread opened during it. Note that
#     callgrind counts a `rep stos` (glibc's memset of large blocks) once per byte.
#   bench/rest/cost.sh [seconds per measurement] [connections]    (defaults 5 and 4)
#   bench/rest/cost.sh trace     one warmed-up request per scenario under strace (every syscall)
# Runs in a throwaway cluster (pg_virtualenv) with the build in build/ (scripts/build.sh build).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${PGHOST:-}" ] || { scripts/deps.sh bench && scripts/build.sh build >/dev/null; }
if [ -z "${PGHOST:-}" ]; then
  exec pg_virtualenv -t -v 15 "$0" "$@"
fi
. bench/rest/lib.sh

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
backend_pids() { q "SELECT pid FROM pg_stat_activity WHERE application_name = 'studybase' AND backend_type = 'client backend'"; }
sum_ticks() { local t=0; for p in "$@"; do t=$((t + $(ticks "$p"))); done; echo $t; }
per_request() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }'; }

curl_request() {   # one request of scenario $1
  local data=()
  [ "${method[$1]}" = POST ] && data=(--data-binary "$insert_body")
  curl -s -o /dev/null -X "${method[$1]}" -H "apikey: $apikey" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -H 'Prefer: return=representation' "${data[@]}" "$url/rest/v1/${path[$1]}"
}

if [ "${1:-}" = trace ]; then
  start_server 1
  apikey=$(anon_key)
  for s in "${scenarios[@]}"; do
    curl_request "$s"
    echo "== $s"
    strace -f -qq -tt -s 96 -p "$server_pid" -o "$work/trace" &
    tracer=$!
    sleep 0.5
    curl_request "$s"
    sleep 0.2
    kill -INT $tracer; wait $tracer || true
    cat "$work/trace"
  done
  stop_server
  exit 0
fi

seconds=${1:-5}
conns=${2:-4}
echo "| scenario | server CPU µs/req | PostgreSQL CPU µs/req | wrk CPU µs/req | server syscalls/req | server instructions/req |"
echo "| --- | --- | --- | --- | --- | --- |"
for s in "${scenarios[@]}"; do
  start_server "$conns"
  apikey=$(anon_key)
  run_wrk "$s" 1 "$conns"                       # warm-up: connections, prepared statements
  backends=$(backend_pids)
  server_before=$(ticks $server_pid); pg_before=$(sum_ticks $backends)
  /usr/bin/time -f '%U %S' -o "$work/wrk.time" bash -c "$(declare -f run_wrk); $(declare -p method path work apikey token url); run_wrk $s $seconds $conns"
  n=$(wrk_requests "$s")
  server_cpu=$(per_request $(( $(ticks $server_pid) - server_before )) "$n")
  pg_cpu=$(per_request $(( $(sum_ticks $backends) - pg_before )) "$n")
  wrk_cpu=$(awk -v n="$n" '{ printf "%.1f", ($1 + $2) * 1e6 / n }' "$work/wrk.time")

  strace -c -f -qq -p "$server_pid" -o "$work/strace" &
  tracer=$!
  sleep 1
  run_wrk "$s" "$seconds" "$conns"
  kill -INT $tracer; wait $tracer || true
  n=$(wrk_requests "$s")
  calls=$(awk '$NF == "total" { print $(NF - 2) }' "$work/strace")
  syscalls=$(awk -v c="$calls" -v n="$n" 'BEGIN { printf "%.2f", c / n }')
  awk -v n="$n" 'NR > 2 && $1 != "------" && $NF != "total" { printf "%s %.2f\n", $NF, $4 / n }' "$work/strace" \
    | sort -k2 -nr | head -8 >"$work/$s.syscalls"
  stop_server

  start_server "$conns" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.out"
  run_wrk "$s" 2 "$conns"
  callgrind_control -i on "$server_pid" >/dev/null
  run_wrk "$s" "$seconds" "$conns"
  callgrind_control -d "$server_pid" >/dev/null
  n=$(wrk_requests "$s")
  stop_server
  ir=$(cat "$work"/callgrind.out.* | awk '/^(summary|totals):/ { t = $2 } END { print t }')
  # A worker thread that first serves a request in the measured run opens its database
  # connection then (SCRAM and all): a once-per-thread cost, left out.
  connect=$(callgrind_annotate --inclusive=yes "$work"/callgrind.out.* 2>/dev/null |
    awk '/PQconnectdbParams/ && !c { c = $1; gsub(",", "", c) } END { print c + 0 }')
  instr=$(awk -v t="$ir" -v c="${connect:-0}" -v n="$n" 'BEGIN { printf "%.0f", (t - c) / n }')
  [ -z "${SB_BENCH_KEEP:-}" ] || cp "$work"/callgrind.out.* "$SB_BENCH_KEEP/callgrind.$s"
  rm -f "$work"/callgrind.out*
  echo "| $s | $server_cpu | $pg_cpu | $wrk_cpu | $syscalls | $instr |"
done
echo
for s in "${scenarios[@]}"; do echo "$s syscalls/request: $(tr '\n' ' ' <"$work/$s.syscalls")"; done
echo "load: $(uptime)"
