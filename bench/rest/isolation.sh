#!/usr/bin/env bash
# Slow requests must not slow the others (issue #12): get_one's latency with nothing else
# running, then while 4 RPC calls of pg_sleep(5) run at all times (each restarted when it
# ends); and /health's latency in both states. Same server, data and token as throughput.sh.
#   bench/rest/isolation.sh [seconds per run]     (default 10)
# Target: get_one's p99 under the sleeps within 2x its idle p99; /health never delayed.
# Runs in a throwaway cluster (pg_virtualenv) with the optimised build in build/. Prints a
# Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${PGHOST:-}" ] || { scripts/deps.sh bench && scripts/build.sh build >/dev/null; }
seconds=${1:-10}
if [ -z "${PGHOST:-}" ]; then
  exec pg_virtualenv -t -v 15 "$0" "$@"
fi
. bench/rest/lib.sh

q "CREATE FUNCTION public.bench_sleep(seconds double precision) RETURNS integer LANGUAGE sql
     AS \$\$ SELECT pg_sleep(seconds); SELECT 1 \$\$;
   GRANT EXECUTE ON FUNCTION public.bench_sleep(double precision) TO authenticated" >/dev/null
start_server 4
apikey=$(anon_key)

latency() {   # $1 = label, $2 = path, $3 = connections; prints "req/s | p50 / p99 / max"
  wrk -t 1 -c "${3:-4}" -d "${seconds}s" --latency -H "apikey: $apikey" -H "Authorization: Bearer $token" \
    "$url$2" >"$work/$1.wrk"
  local p50 p99 max rps
  p50=$(awk '$1 == "50%" { print $2 }' "$work/$1.wrk")
  p99=$(awk '$1 == "99%" { print $2 }' "$work/$1.wrk")
  max=$(awk '$1 == "Latency" && NF >= 4 { print $4; exit }' "$work/$1.wrk")
  rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$work/$1.wrk")
  echo "$rps | $p50 / $p99 / $max"
}

sleeper_pids=()
sleepers() {   # 4 loops, each calling pg_sleep(5) again as soon as the last call ends
  for i in 1 2 3 4; do
    ( while :; do
        curl -s -o /dev/null -H "apikey: $apikey" -H "Authorization: Bearer $token" "$url/rest/v1/rpc/bench_sleep?seconds=5"
      done ) &
    sleeper_pids+=($!)
  done
}
running_sleeps() { q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%bench_sleep%' AND state = 'active' AND pid <> pg_backend_pid()"; }

get_path="/rest/v1/${path[get_one]}"
idle_get=$(latency get_idle "$get_path")
idle_health=$(latency health_idle /health 1)
sleepers
for _ in $(seq 200); do [ "$(running_sleeps)" -ge 4 ] && break; sleep 0.05; done
[ "$(running_sleeps)" -ge 4 ] || { echo "the 4 sleeping calls did not start: $(curl -s -H "apikey: $apikey" -H "Authorization: Bearer $token" "$url/rest/v1/rpc/bench_sleep?seconds=0")" >&2; exit 1; }
busy_get=$(latency get_busy "$get_path")
busy_health=$(latency health_busy /health 1)
during=$(running_sleeps)
kill "${sleeper_pids[@]}" 2>/dev/null || true
wait "${sleeper_pids[@]}" 2>/dev/null || true
echo "| measure | idle req/s | idle p50 / p99 / max | with 4 pg_sleep(5) calls req/s | with them p50 / p99 / max |"
echo "| --- | --- | --- | --- | --- |"
echo "| get_one (wrk -c4) | $idle_get | $busy_get |"
echo "| /health (wrk -c1) | $idle_health | $busy_health |"
echo
echo "sleeping calls still running at the end of the loaded runs: $during; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
stop_server
