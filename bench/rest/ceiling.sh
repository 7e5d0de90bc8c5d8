#!/usr/bin/env bash
# The ceiling for bench/rest's single-row scenarios: how close can ANY HTTP server in front of
# PostgreSQL come to pgbench on this machine? Runs, in one cluster with throughput.sh's data
# and the same wrk and pgbench lines (wrk -t2 -c<conns>; pgbench -M prepared -c<conns> -j2 on
# the SQL captured from studybase): pgbench, studybase (SB_THREADS=<conns>), the prototype
# bench/rest/ceiling.c in each shape given, and pgbench again; for get_one and insert_one.
# A shape TxP is T epoll threads with P PostgreSQL connections each (pipelined: see
# ceiling.c). Per row: the rate, its ratio to the mean of the two pgbench runs, and CPU µs per
# request of the client, the server (/proc/PID/stat, all threads) and PostgreSQL (every
# process of the cluster), as in bench/rest/cost.sh.
#   bench/rest/ceiling.sh [seconds per run] [connections] [shapes...]   (defaults 5, 4, 1x4 2x2 2x1 1x2)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${PGHOST:-}" ] || { scripts/deps.sh bench && scripts/build.sh build >/dev/null; }
if [ -z "${PGHOST:-}" ]; then
  exec pg_virtualenv -t -v 15 "$0" "$@"
fi
seconds=${1:-5}
conns=${2:-4}
shift $(( $# < 2 ? $# : 2 ))
shapes=("$@"); [ ${#shapes[@]} -gt 0 ] || shapes=(1x4 2x2 2x1 1x2)
. bench/rest/lib.sh

capture_pgbench_scripts
cc -O2 -Wall -Wextra -I"$(pg_config --includedir)" bench/rest/ceiling.c -o "$work/ceiling" -lpq -lpthread

start_ceiling() {   # $1 = shape TxP
  "$work/ceiling" 0 "${1%x*}" "${1#*x}" "$work/get_one.sql" "$work/insert_one.sql" "$claims" "$uid" \
    >"$work/out" 2>"$work/log" &
  server_pid=$!
  until grep -q listening "$work/out"; do sleep 0.05; done
  url="http://127.0.0.1:$(awk '{ print $3 }' "$work/out")"
}

rows=()
measure_http() {   # $1 = label, $2 = scenario: a wrk run against the server at $url ($server_pid)
  local s=$2
  run_wrk "$s" 1 "$conns"                       # warm-up
  local server_before pg_before c0 n
  server_before=$(ticks "$server_pid"); pg_before=$(pg_ticks)
  children_seconds; c0=$cs
  run_wrk "$s" "$seconds" "$conns"
  children_seconds
  n=$(wrk_requests "$s")
  local errors; errors=$(awk '/Non-2xx/ { print " (non-2xx: " $4 ")" }' "$work/$s.wrk")
  rows+=("$s|$1$errors|$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$work/$s.wrk")|$(awk -v a="$c0" -v b="$cs" -v n="$n" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')|$(per_request $(( $(ticks "$server_pid") - server_before )) "$n")|$(per_request $(( $(pg_ticks) - pg_before )) "$n")")
}
measure_pgbench() {   # $1 = scenario
  local s=$1 pg_before c0 n
  pg_before=$(pg_ticks)
  children_seconds; c0=$cs
  run_pgbench "$s" "$seconds" "$conns"
  children_seconds
  n=$(awk '/number of transactions actually processed/ { print $NF }' "$work/$s.pgbench.out")
  rows+=("$s|pgbench|$(awk '/^tps/ { printf "%.0f", $3 }' "$work/$s.pgbench.out")|$(awk -v a="$c0" -v b="$cs" -v n="$n" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')||$(per_request $(( $(pg_ticks) - pg_before )) "$n")")
}

echo "load at the start: $(uptime)"
for s in get_one insert_one; do
  measure_pgbench "$s"
  start_server "$conns"
  apikey=$(anon_key)
  measure_http "studybase ($conns threads)" "$s"
  stop_server
  for shape in "${shapes[@]}"; do
    start_ceiling "$shape"
    measure_http "ceiling $shape" "$s"
    stop_server
    [ ! -s "$work/log" ] || { echo "ceiling $shape stderr:"; head -5 "$work/log"; }
  done
  measure_pgbench "$s"
done
echo "load at the end: $(uptime)"
echo
echo "| scenario | system | req/s | ratio to pgbench (mean of its 2 runs) | client CPU µs/req | server CPU µs/req | PostgreSQL CPU µs/req | total CPU µs/req |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for s in get_one insert_one; do
  base=$(printf '%s\n' "${rows[@]}" | awk -F'|' -v s="$s" '$1 == s && $2 == "pgbench" { t += $3; k++ } END { print t / k }')
  printf '%s\n' "${rows[@]}" | awk -F'|' -v s="$s" -v b="$base" '$1 == s {
    printf "| %s | %s | %s | %.2f | %s | %s | %s | %.1f |\n", $1, $2, $3, $3 / b, $4, $5 == "" ? "" : $5, $6, $4 + $5 + $6 }'
done
