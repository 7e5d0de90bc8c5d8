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
. bench/rest/lib.sh

capture_pgbench_scripts

percentile() { sort -n | awk -v p="$1" '{ a[NR] = $1 } END { i = int(NR * p / 100); if (i < 1) i = 1; print a[i] }'; }
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }'; }

echo "| scenario | studybase req/s | pgbench tx/s | ratio | studybase p50 / p99 ms | pgbench p50 / p99 ms |"
echo "| --- | --- | --- | --- | --- | --- |"
start_server "$conns"
apikey=$(anon_key)
for s in "${scenarios[@]}"; do
  run_wrk "$s" "$seconds" "$conns"
  rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$work/$s.wrk")
  p50=$(awk '$1 == "50%" { print $2 }' "$work/$s.wrk" | to_ms)
  p99=$(awk '$1 == "99%" { print $2 }' "$work/$s.wrk" | to_ms)
  errors=$(awk '/Non-2xx/ { print " (non-2xx: " $4 ")" }' "$work/$s.wrk")
  rm -f "$work"/pgbench_log*
  run_pgbench "$s" "$seconds" "$conns" -l --log-prefix="$work/pgbench_log"
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
