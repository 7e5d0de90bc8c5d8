#!/usr/bin/env bash
# The ceiling for bench/rest's single-row scenarios: how close can ANY HTTP server in front of
# PostgreSQL come to pgbench on this machine? In one cluster with throughput.sh's data and the
# same wrk and pgbench lines (wrk -t2 -c<conns>; pgbench -M prepared -c<conns> -j2 on the SQL
# captured from studybase), for get_one and insert_one, <reps> rounds of: pgbench, studybase
# (SB_THREADS=<conns>), and the prototype bench/rest/ceiling.c in each shape given. Each
# round's ratios are against that round's pgbench run (seconds apart), and the table gives
# the median over the rounds, so a machine shared with other work moves both sides alike.
# A shape TxP is T epoll threads with P PostgreSQL connections each (pipelined: see
# ceiling.c); TmxP is the same with libmicrohttpd parsing HTTP and each request suspended
# while its statements run (the shape studybase's server could take); TbxP batches the
# requests read in one wake-up into one send per PostgreSQL connection (what libpq 17's
# PQsendPipelineSync allows; ceiling.c does it by taking send(2) from libpq); 1hxP puts h2o's
# evloop library in front (ceiling_h2o.c) and 1uxP libuv with picohttpparser (ceiling_uv.c), one
# thread each with the same PostgreSQL side; sbN is studybase with SB_THREADS=N. Per row also CPU µs per
# request of the client, the server (/proc/PID/stat, all threads) and PostgreSQL (every
# process of the cluster), as in bench/rest/cost.sh, medians over the rounds.
#   bench/rest/ceiling.sh [seconds per run] [connections] [reps] [shapes...]
#   (defaults 3, 4, 3, and the shapes 1x4 2x1 1x1 1mx1 2mx1)
#   bench/rest/ceiling.sh calls [shapes...]
#   syscalls, context switches and CPU per request of each process group (client, server,
#   PostgreSQL: every process of the cluster), from `perf stat` attached for 2 s in the middle
#   of a 4 s run (requests in the window: the run's rate times 2 s); these depend far less on
#   the machine's load than the rates do.
#   bench/rest/ceiling.sh syscalls [requests] [shapes...]   (defaults 20000, 1x4 1mx4 1hx4 1ux4)
#   the server's syscalls per request, by name, and its context switches per request: `perf stat`
#   on every syscalls:sys_enter_* tracepoint of the server process (all threads), switched on
#   and off through its control fifo around a wrk run that stops after exactly <requests>
#   responses (4 connections, after a 1 s warm-up), for get_one and insert_one.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${PGHOST:-}" ] || { scripts/deps.sh bench && scripts/build.sh build >/dev/null; }
if [ -z "${PGHOST:-}" ]; then
  exec pg_virtualenv -t -v 15 "$0" "$@"
fi
mode=rounds
[ "${1:-}" != calls ] || { mode=calls; shift; set -- 4 4 1 "$@"; }
if [ "${1:-}" = syscalls ]; then
  mode=syscalls; shift
  requests=${1:-20000}; shift $(( $# > 0 ? 1 : 0 ))
  [ $# -gt 0 ] || set -- 1x4 1mx4 1hx4 1ux4
  set -- 1 4 1 "$@"
fi
seconds=${1:-3}
conns=${2:-4}
reps=${3:-3}
shift $(( $# < 3 ? $# : 3 ))
shapes=("$@"); [ ${#shapes[@]} -gt 0 ] || shapes=(1x4 2x1 1x1 1mx1 2mx1)
. bench/rest/lib.sh

capture_pgbench_scripts
cc -O2 -Wall -I"$(pg_config --includedir)" bench/rest/ceiling.c bench/rest/ceiling_h2o.c bench/rest/ceiling_uv.c \
  -o "$work/ceiling" -lpq -lpthread -lmicrohttpd $(pkg-config --libs libh2o-evloop libuv)

start_ceiling() {   # $1 = shape TxP
  "$work/ceiling" 0 "${1%x*}" "${1#*x}" "$work/get_one.sql" "$work/insert_one.sql" "$claims" "$uid" \
    >"$work/out" 2>"$work/log" &
  server_pid=$!
  until grep -q listening "$work/out"; do sleep 0.05; done
  url="http://127.0.0.1:$(awk '{ print $3 }' "$work/out")"
}

user_ticks() { awk '{ print $14 }' "/proc/$1/stat"; }
switches() {   # context switches of every thread of process $1 (voluntary + involuntary)
  cat /proc/"$1"/task/*/status | awk '/ctxt_switches/ { t += $2 } END { print t }'
}
: >"$work/rows"   # scenario|system|round|req/s|client µs|server µs|PostgreSQL µs|server user µs|server switches
measure_http() {   # $1 = label, $2 = scenario, $3 = round: a wrk run against $url ($server_pid)
  local s=$2 server_before pg_before c0 n user_before sw_before
  run_wrk "$s" 1 "$conns"                       # warm-up
  user_before=$(user_ticks "$server_pid"); sw_before=$(switches "$server_pid")
  server_before=$(ticks "$server_pid"); pg_before=$(pg_ticks)
  children_seconds; c0=$cs
  run_wrk "$s" "$seconds" "$conns"
  children_seconds
  n=$(wrk_requests "$s")
  ! grep -q Non-2xx "$work/$s.wrk" || { echo "$1: non-2xx answers" >&2; grep Non-2xx "$work/$s.wrk" >&2; }
  echo "$s|$1|$3|$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$work/$s.wrk")|$(awk -v a="$c0" -v b="$cs" -v n="$n" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')|$(per_request $(( $(ticks "$server_pid") - server_before )) "$n")|$(per_request $(( $(pg_ticks) - pg_before )) "$n")|$(per_request $(( $(user_ticks "$server_pid") - user_before )) "$n")|$(awk -v a="$sw_before" -v b="$(switches "$server_pid")" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }')" >>"$work/rows"
}
measure_pgbench() {   # $1 = scenario, $2 = round
  local s=$1 pg_before c0 n
  pg_before=$(pg_ticks)
  children_seconds; c0=$cs
  run_pgbench "$s" "$seconds" "$conns"
  children_seconds
  n=$(awk '/number of transactions actually processed/ { print $NF }' "$work/$s.pgbench.out")
  echo "$s|pgbench|$2|$(awk '/^tps/ { printf "%.0f", $3 }' "$work/$s.pgbench.out")|$(awk -v a="$c0" -v b="$cs" -v n="$n" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')|0|$(per_request $(( $(pg_ticks) - pg_before )) "$n")|0|0" >>"$work/rows"
}

perf_window() {   # $1 = label, $2 = scenario, $3 = client pid, $4 = server pid or "": counts over 2 s
  sleep 1
  local pg_pids; pg_pids=$(ps --ppid "$postmaster" -o pid= | awk -v pm="$postmaster" '{ printf "%s,", $1 } END { print pm }')
  local groups=(client pg) pids=("$(pgrep -P "$3" | head -1 || true)" "$pg_pids")
  [ -n "${pids[0]}" ] || pids[0]=$3
  [ -z "$4" ] || { groups+=(server); pids+=("$4"); }
  local i
  for i in "${!groups[@]}"; do
    perf stat -x, -e raw_syscalls:sys_enter,context-switches,task-clock -p "${pids[$i]}" -o "$work/perf.${groups[$i]}" -- sleep 2 &
  done
  wait $(jobs -p | tail -n "${#groups[@]}") 2>/dev/null || true
}
calls_row() {   # $1 = label, $2 = requests per second: per-request figures of each group
  local g row="| $1 |"
  for g in client server pg; do
    if [ -f "$work/perf.$g" ]; then
      row+=$(awk -F, -v r="$2" '$3 ~ /sys_enter/ { sc = $1 } $3 ~ /context-switches/ { cs = $1 } $3 ~ /task-clock/ { ms = $1 }
        END { printf " %.2f / %.2f / %.1f |", sc / (2 * r), cs / (2 * r), ms * 1000 / (2 * r) }' "$work/perf.$g")
    else row+=" |"; fi
  done
  rm -f "$work"/perf.*
  echo "$row"
}
start_shape() {   # $1 = shape: sbN (studybase) or a ceiling shape; sets label
  if [[ $1 == sb* ]]; then start_server "${1#sb}"; apikey=$(anon_key); label="studybase (${1#sb} threads)"
  else start_ceiling "$1"; label="ceiling $1"; fi
}
if [ "$mode" = syscalls ]; then
  # wrk's threads stop after exactly $requests responses (each of the 2 after half of them)
  # and say so in $work/stopped; wrk itself waits for its duration, so it is then interrupted
  # (SIGINT: it prints its results).
  counter='local n = 0
function response()
  n = n + 1
  if n == '$((requests / 2))' then
    local f = io.open("'$work/stopped'", "a"); f:write("stopped\n"); f:close()
    wrk.thread:stop()
  end
end'
  echo "$counter" >"$work/count.lua"; { cat "$work/post.lua"; echo "$counter"; } >"$work/count_post.lua"
  echo "load at the start: $(uptime)"
  echo "| scenario | system | requests | syscalls/request | context switches/request | syscalls/request by name |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for s in get_one insert_one; do
    lua=$work/count.lua; [ "${method[$s]}" = GET ] || lua=$work/count_post.lua
    for shape in "${shapes[@]}"; do
      start_shape "$shape"
      run_wrk "$s" 1 "$conns"
      rm -f "$work/ctl" "$work/ack" "$work/stopped"; mkfifo "$work/ctl" "$work/ack"
      perf stat -x, -D -1 --control "fifo:$work/ctl,$work/ack" -e 'syscalls:sys_enter_*' -e context-switches \
        -p "$server_pid" -o "$work/perf.syscalls" 2>/dev/null & perf_pid=$!
      exec 8>"$work/ctl" 9<"$work/ack"
      echo enable >&8; read -r -t 10 _ <&9
      wrk -t 2 -c "$conns" -d 120s -s "$lua" -H "apikey: $apikey" -H "Authorization: Bearer $token" \
        "$url/rest/v1/${path[$s]}" >"$work/$s.wrk" & client=$!
      for _ in $(seq 1200); do   # at most 120 s
        [ "$(cat "$work/stopped" 2>/dev/null | wc -l)" -lt 2 ] || break
        sleep 0.1
      done
      kill -INT "$client"; wait "$client" || true
      echo disable >&8; read -r -t 10 _ <&9
      exec 8>&- 9<&-
      kill -INT "$perf_pid"; wait "$perf_pid" || true
      ! grep -q Non-2xx "$work/$s.wrk" || { echo "$label: non-2xx answers" >&2; grep Non-2xx "$work/$s.wrk" >&2; }
      n=$(wrk_requests "$s")
      awk -F, -v n="$n" -v s="$s" -v label="$label" '
        $3 ~ /^syscalls:sys_enter_/ && $1 + 0 > 0 { name = substr($3, 20); count[name] = $1; total += $1 }
        $3 == "context-switches" { cs = $1 }
        END {
          k = 0; for (name in count) names[++k] = name
          for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (count[names[j]] > count[names[i]]) { t = names[i]; names[i] = names[j]; names[j] = t }
          for (i = 1; i <= k && count[names[i]] / n >= 0.01; i++) by = by (i > 1 ? ", " : "") sprintf("%s %.2f", names[i], count[names[i]] / n)
          printf "| %s | %s | %d | %.2f | %.2f | %s |\n", s, label, n, total / n, cs / n, by
        }' "$work/perf.syscalls"
      stop_server
    done
  done
  echo "load at the end: $(uptime)"
  exit 0
fi

if [ "$mode" = calls ]; then
  echo "load at the start: $(uptime)"
  echo "| scenario / system | client: syscalls / context switches / CPU µs per request | server | PostgreSQL |"
  echo "| --- | --- | --- | --- |"
  for s in get_one insert_one; do
    run_pgbench "$s" 4 "$conns" & bench=$!
    perf_window "$s pgbench" "$s" "$bench" ""
    wait "$bench"
    calls_row "$s pgbench" "$(awk '/^tps/ { print $3 }' "$work/$s.pgbench.out")"
    for shape in "sb$conns" "${shapes[@]}"; do
      if [[ $shape == sb* ]]; then start_server "${shape#sb}"; apikey=$(anon_key); label="studybase (${shape#sb} threads)"
      else start_ceiling "$shape"; label="ceiling $shape"; fi
      run_wrk "$s" 1 "$conns"
      run_wrk "$s" 4 "$conns" & client=$!
      perf_window "$label" "$s" "$client" "$server_pid"
      wait "$client"
      calls_row "$s $label" "$(awk '/^Requests\/sec/ { print $2 }' "$work/$s.wrk")"
      stop_server
    done
  done
  echo "load at the end: $(uptime)"
  exit 0
fi

echo "load at the start: $(uptime)"
for s in get_one insert_one; do
  for round in $(seq "$reps"); do
    echo "$s round $round: load average $(uptime | sed 's/.*load average: //')"
    measure_pgbench "$s" "$round"
    start_server "$conns"
    apikey=$(anon_key)
    measure_http "studybase ($conns threads)" "$s" "$round"
    stop_server
    for shape in "${shapes[@]}"; do
      if [[ $shape == sb* ]]; then            # studybase with another thread count
        start_server "${shape#sb}"
        measure_http "studybase (${shape#sb} threads)" "$s" "$round"
        stop_server
        continue
      fi
      start_ceiling "$shape"
      measure_http "ceiling $shape" "$s" "$round"
      stop_server
      [ ! -s "$work/log" ] || { echo "ceiling $shape stderr:" >&2; head -5 "$work/log" >&2; }
    done
  done
done
echo "load at the end: $(uptime)"
echo
echo "| scenario | system | req/s (median) | ratio to pgbench in the same round: median (each round) | client CPU µs/req | server CPU µs/req (of which user) | server context switches/req | PostgreSQL CPU µs/req | total CPU µs/req | total CPU ratio pgbench / system |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
awk -F'|' '
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { key = $1 "|" $2; if (!(key in seen)) { seen[key] = 1; order[++k] = key }
    rate[key] = rate[key] " " $4; cl[key] = cl[key] " " $5; sv[key] = sv[key] " " $6; pg[key] = pg[key] " " $7
    tot[key] = tot[key] " " ($5 + $6 + $7); us[key] = us[key] " " $8; sw[key] = sw[key] " " $9; r[$1 "|" $2 "|" $3] = $4; t[$1 "|" $2 "|" $3] = $5 + $6 + $7; rounds[$3] = 1 }
  END {
    for (i = 1; i <= k; i++) {
      split(order[i], p, "|"); ratios = ""; cratios = ""; each = ""
      for (q in rounds) if ((p[1] "|pgbench|" q) in r && (order[i] "|" q) in r) {
        x = r[order[i] "|" q] / r[p[1] "|pgbench|" q]; ratios = ratios " " x; each = each (each == "" ? "" : ", ") sprintf("%.2f", x)
        cratios = cratios " " t[p[1] "|pgbench|" q] / t[order[i] "|" q] }
      printf "| %s | %s | %.0f | %.2f (%s) | %.1f | %s | %s | %.1f | %.1f | %.2f |\n", p[1], p[2], median(rate[order[i]]),
        median(ratios), each, median(cl[order[i]]),
        p[2] == "pgbench" ? "" : sprintf("%.1f (%.1f)", median(sv[order[i]]), median(us[order[i]])),
        p[2] == "pgbench" ? "" : sprintf("%.2f", median(sw[order[i]])),
        median(pg[order[i]]), median(tot[order[i]]), median(cratios)
    }
  }' "$work/rows"
