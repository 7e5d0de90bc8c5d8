#!/usr/bin/env bash
# Does a slow model hold up the rest of the API? bench/rest's get_one (one course by id, as the
# student, wrk) is measured idle, then while 4 tutor answers stream from a slow mock provider
# (a piece every 500 ms for 40 s: each answer's fiber waits on its worker's loop the whole
# time), then idle again, in one run against one server.
#   bench/ai/streams_get_one.sh [seconds per run] [connections]     (defaults 10 and 4)
# Runs in a throwaway cluster (pg_virtualenv) with the optimised build in build/
# (scripts/build.sh build). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${PGHOST:-}" ] || { scripts/deps.sh bench && scripts/build.sh build >/dev/null; }
seconds=${1:-5}
conns=${2:-4}
rounds=${3:-3}
if [ -z "${PGHOST:-}" ]; then
  exec pg_virtualenv -t -v 15 "$0" "$@"
fi
. bench/ai/lib.sh
stream_pids=()
trap 'kill ${server_pid:-} ${mock_pid:-} ${stream_pids[*]:-} 2>/dev/null || true; rm -rf "$work"' EXIT

start_mock slow 500 80
start_server 4 env SB_LLM_URL="$mock_url" SB_LLM_MODEL=bench SB_TUTOR_MAX_REQUESTS_PER_HOUR=0 \
  SB_TUTOR_MAX_TOKENS_PER_DAY=0 SB_TUTOR_MAX_STREAMS_PER_USER=4
apikey=$(anon_key)

measure() {   # $1 = label; appends a table row
  run_wrk get_one "$seconds" "$conns"
  local rps p50 p99
  rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$work/get_one.wrk")
  p50=$(awk '$1 == "50%" { print $2 }' "$work/get_one.wrk")
  p99=$(awk '$1 == "99%" { print $2 }' "$work/get_one.wrk")
  rows+=("| $1 | $rps | $p50 | $p99 | $2 |")
}
tokens_so_far() { cat "$work"/stream.* 2>/dev/null | grep -c '^event: token' || true; }

start_streams() {
  for i in 1 2 3 4; do
    curl -sN -X POST -H "apikey: $apikey" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      --data-binary "$tutor_body" "$url/functions/v1/tutor" >"$work/stream.$i" &
    stream_pids+=($!)
  done
  for _ in $(seq 1 200); do
    [ "$(grep -l '^event: token' "$work"/stream.* 2>/dev/null | wc -l)" -eq 4 ] && return
    sleep 0.05
  done
  echo "the 4 streams did not start" >&2
  exit 1
}
stop_streams() {
  kill "${stream_pids[@]}" 2>/dev/null || true
  wait "${stream_pids[@]}" 2>/dev/null || true
  stream_pids=()
  rm -f "$work"/stream.*
}

rows=()
run_wrk get_one 2 "$conns"          # warm up
for round in $(seq 1 "$rounds"); do
  measure "idle (round $round)" "-"
  start_streams
  before=$(tokens_so_far)
  measure "4 tutor streams in progress (round $round)" "pending"
  after=$(tokens_so_far)
  finished=$(cat "$work"/stream.* | grep -c '^event: done' || true)
  rows[-1]="${rows[-1]/pending/$((after - before)) pieces streamed meanwhile (4 × one per 500 ms), $finished finished}"
  stop_streams
done
stop_server
stop_mock

echo "| get_one, $conns connections, ${seconds} s | req/s | p50 | p99 | the streams |"
echo "| --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
idle=$(printf '%s\n' "${rows[@]}" | awk -F'|' '/idle/ { print $3 }' | median)
busy=$(printf '%s\n' "${rows[@]}" | awk -F'|' '/streams/ { print $3 }' | median)
echo
echo "Median get_one rate: idle $idle req/s, with 4 streams $busy req/s."
