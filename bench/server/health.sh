#!/usr/bin/env bash
# bench/server/health.sh: GET /health from studybase against nginx returning the same body
# ({"status":"ok"}, application/json) on the same machine, wrk with 2 threads and 64
# connections, RUNS interleaved runs of DURATION seconds each; prints the medians. Both log
# every request to a file (studybase's JSON line on stderr, nginx's access log). Also prints
# studybase's resident memory at idle and its peak. Needs root (installs wrk and nginx-light).
#   bench/server/health.sh [RUNS [DURATION]]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-3}
DURATION=${2:-5}
command -v wrk >/dev/null && command -v nginx >/dev/null ||
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null; }
scripts/build.sh build >/dev/null

work=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
NGINX_PORT=$(free_port)
cat >"$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log $work/nginx-access.log;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location = /health { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"

SB_DATA_DIR=$work SB_PORT=0 DATABASE_URL=postgresql://nobody@127.0.0.1:1/none build/studybase serve >"$work/out" 2>"$work/log" &
server_pid=$!
until grep -q '^API URL: ' "$work/out"; do kill -0 $server_pid || exit 1; sleep 0.1; done
URL=$(sed -n 's/^API URL: //p' "$work/out")
idle_rss=$(awk '/^VmRSS/ {print $2}' /proc/$server_pid/status)

rate() { wrk -t 2 -c 64 -d "${DURATION}s" "$1" | awk '/^Requests\/sec:/ {print $2}'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
: >"$work/sb"; : >"$work/nginx"
for r in $(seq 1 "$RUNS"); do
  rate "$URL/health" >>"$work/sb"
  rate "http://127.0.0.1:$NGINX_PORT/health" >>"$work/nginx"
done
s=$(median <"$work/sb"); n=$(median <"$work/nginx")
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); runs: $RUNS x ${DURATION}s; wrk 2 threads, 64 connections"
echo
echo '| measure | studybase | nginx | ratio | target |'
echo '| --- | --- | --- | --- | --- |'
printf '| GET /health | %.0f/s | %.0f/s | %.2f | >= 1.0 |\n' "$s" "$n" "$(awk -v s="$s" -v n="$n" 'BEGIN {print s / n}')"
echo
echo "studybase resident memory: idle $idle_rss kB, peak $(awk '/^VmHWM/ {print $2}' /proc/$server_pid/status) kB"
