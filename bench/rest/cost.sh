#!/usr/bin/env bash
# What one /rest/v1 request costs, in figures that depend much less on how busy the machine is
# than bench/rest/throughput.sh's rates. For each scenario of throughput.sh, over a wrk run
# against the server and a pgbench run of the same SQL (the same baseline as throughput.sh):
#   - CPU µs/request of the client (wrk or pgbench), the server (utime+stime of all its
#     threads, /proc/PID/stat) and PostgreSQL (every process of the cluster, exited backends
#     included), divided by the requests completed; "total" is their sum, and the ratio of the
#     totals (pgbench/studybase) is the throughput ratio to expect when the run is CPU-bound;
#   - syscalls/request of the server: `strace -c -f` attached over a wrk run;
#   - instructions/request of the server: callgrind (instrumentation switched on after a
#     warm-up) over a wrk run, less any database connection a worker thread opened during it.
#     Callgrind counts a `rep stos` (glibc's memset of large blocks) once per byte, so
#     libmicrohttpd's clearing of each connection's 64 KB pool between requests counts ~100k.
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

if [ "${1:-}" = trace ]; then
  start_server 1
  apikey=$(anon_key)
  for s in "${scenarios[@]}"; do
    request "$s"
    echo "== $s"
    strace -f -qq -tt -s 96 -p "$server_pid" -o "$work/trace" &
    tracer=$!
    sleep 0.5
    request "$s"
    sleep 0.2
    kill -INT $tracer; wait $tracer || true
    cat "$work/trace"
  done
  stop_server
  exit 0
fi

seconds=${1:-5}
conns=${2:-4}
capture_pgbench_scripts
: >"$work/ratios"
echo "| scenario | client | client CPU µs/req | server CPU µs/req | PostgreSQL CPU µs/req | total µs/req | server syscalls/req | server instructions/req |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for s in "${scenarios[@]}"; do
  start_server "$conns"
  apikey=$(anon_key)
  run_wrk "$s" 1 "$conns"                       # warm-up: connections, prepared statements
  server_before=$(ticks $server_pid); pg_before=$(pg_ticks)
  children_seconds; c0=$cs
  run_wrk "$s" "$seconds" "$conns"
  children_seconds; c1=$cs
  n=$(wrk_requests "$s")
  server_cpu=$(per_request $(( $(ticks $server_pid) - server_before )) "$n")
  pg_cpu=$(per_request $(( $(pg_ticks) - pg_before )) "$n")
  wrk_cpu=$(awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')
  total=$(awk -v a="$wrk_cpu" -v b="$server_cpu" -v c="$pg_cpu" 'BEGIN { printf "%.1f", a + b + c }')

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
  echo "| $s | wrk → studybase | $wrk_cpu | $server_cpu | $pg_cpu | $total | $syscalls | $instr |"

  pg_before=$(pg_ticks)
  children_seconds; c0=$cs
  run_pgbench "$s" "$seconds" "$conns"
  children_seconds; c1=$cs
  n=$(awk '/number of transactions actually processed/ { print $NF }' "$work/$s.pgbench.out")
  pg_cpu=$(per_request $(( $(pg_ticks) - pg_before )) "$n")
  bench_cpu=$(awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')
  bench_total=$(awk -v a="$bench_cpu" -v c="$pg_cpu" 'BEGIN { printf "%.1f", a + c }')
  echo "| $s | pgbench | $bench_cpu | | $pg_cpu | $bench_total | | |"
  awk -v a="$bench_total" -v b="$total" -v s="$s" 'BEGIN { printf "%s: ratio of CPU per request, pgbench / studybase: %.2f\n", s, a / b }' >>"$work/ratios"
done
echo
cat "$work/ratios"
for s in "${scenarios[@]}"; do echo "$s syscalls/request: $(tr '\n' ' ' <"$work/$s.syscalls")"; done
echo "load: $(uptime)"
