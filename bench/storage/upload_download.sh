#!/usr/bin/env bash
# Storage throughput and memory: a 50 MB (52,428,800-byte) upload and download through
# /storage/v1 (curl on loopback, service_role key, bucket `materials`) against the same bytes
# copied with cp (upload baseline) and cat into a file (download baseline), on the same disk,
# in the same run. Also the peak RSS growth of the server during each upload (VmHWM after the
# upload minus VmRSS before it, with the peak reset through /proc/PID/clear_refs), and the CPU
# time each side spends per transfer (server: all its threads, /proc/PID/task/*/schedstat;
# client: curl's user+system time), which depend far less on other load than wall times do.
#
# The upload is `curl -T file -X POST`: -T streams the file from disk as it sends, which is how
# curl's maintainers say to upload a large file (curl/curl#14521); `--data-binary @file` first
# reads the whole file into curl's memory (4 KiB reads, ~0.3 s of CPU for 50 MB here, before
# curl's clock starts) and then sends from there more slowly than -T does.
#
#   bench/storage/upload_download.sh [RUNS]      (default 7; needs root or a pg_virtualenv user)
#
# For reference only (not the issue's baseline): nginx serving the same stored file with
# sendfile, fetched by the same curl command, shows how fast any server can make curl write a
# download to disk on this machine.
#
# Builds a release binary in build-bench/ and runs in a throwaway cluster (pg_virtualenv).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-7}
if [ -z "${PGHOST:-}" ]; then
  command -v nginx >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }
  bash scripts/build.sh build-bench -Dbuildtype=release >/dev/null
  exec pg_virtualenv -t -v 15 "$0" "$runs"
fi

bin=$PWD/build-bench/studybase
work=$(mktemp -d "${BENCH_DIR:-$PWD/build-bench}/storage-bench.XXXXXX")
server_pid=
trap 'kill $server_pid 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT
createdb bench
export DATABASE_URL="postgresql://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/bench"
export SB_DATA_DIR=$work/data SB_PORT=0 SB_HOST=127.0.0.1
mkdir -p "$SB_DATA_DIR"
"$bin" migrate up >/dev/null
"$bin" serve >"$work/out" 2>"$work/log" &
server_pid=$!
for _ in $(seq 100); do grep -q '^API URL' "$work/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^API URL: //p' "$work/out")
key=$("$bin" status -o env | sed -n 's/^SERVICE_ROLE_KEY=//p' | tr -d '"')

size=52428800
file=$work/lecture.pdf
{ printf '%%PDF-1.4\n'; head -c $((size - 9)) /dev/urandom; } >"$file"
storage=$SB_DATA_DIR/storage

# nginx, for reference: serves the storage folder over loopback with sendfile
nginx_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
$([ "$(id -u)" -eq 0 ] && echo "user root;")
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 64; }
http { access_log off; sendfile on; server { listen 127.0.0.1:$nginx_port; root $storage; } }
CONF
nginx -c "$work/nginx.conf" -p "$work"

rss_kb() { awk -v f="$1" '$1 == f":" {print $2}' "/proc/$server_pid/status"; }
seconds() { date +%s.%N; }
server_cpu_ns() { cat /proc/"$server_pid"/task/*/schedstat | awk '{ns += $1} END {print ns}'; }
# timed_curl CURL-ARGS...: runs curl; prints "wall_s server_cpu_ms client_cpu_ms"
timed_curl() {
  local before after cpu TIMEFORMAT='%U %S'
  before=$(server_cpu_ns)
  if ! cpu=$( { time curl -sS --fail -w '%{time_total}' "$@" >"$work/wall" 2>"$work/curl_err"; } 2>&1 ); then
    cat "$work/curl_err" >&2
    return 1
  fi
  after=$(server_cpu_ns)
  python3 -c "import sys; u, s = map(float, sys.argv[3:5]); print(sys.argv[1], int(sys.argv[2]) / 1e6, (u + s) * 1e3)" \
    "$(cat "$work/wall")" "$((after - before))" $cpu
}

# warm-up: each worker thread loads libmagic's database on its first upload
for i in $(seq 8); do
  curl -sS -o /dev/null --fail -X POST "$url/storage/v1/object/materials/warm/$i.pdf" \
    -H "apikey: $key" -H "Authorization: Bearer $key" -H 'Content-Type: application/pdf' --data-binary '%PDF-1.4'
done

echo "run upload_s cp_s download_s cat_s rss_growth_kb download_null_s up_server_ms up_client_ms down_server_ms down_client_ms null_server_ms null_client_ms" >"$work/results"
for i in $(seq "$runs"); do
  name="bench/run-$i.pdf"
  # baselines: the same bytes copied on the same disk
  # every timed step starts with no dirty pages, so none pays for another's writeback
  rm -f "$work/copy"; sync
  t0=$(seconds); cp "$file" "$work/copy"; t1=$(seconds)
  cp_s=$(python3 -c "print($t1 - $t0)")
  rm -f "$work/copy"; sync
  echo 5 >"/proc/$server_pid/clear_refs"
  before=$(rss_kb VmRSS)
  timed_curl -o /dev/null -X POST "$url/storage/v1/object/materials/$name" \
    -H "apikey: $key" -H "Authorization: Bearer $key" -H 'Content-Type: application/pdf' -T "$file" >"$work/t"
  read -r up_s up_server up_client <"$work/t"
  peak=$(rss_kb VmHWM)
  # the uploaded object: the one file of exactly this size (the warm-up objects are newer than
  # $file too, so age alone would not find it)
  stored=$(find "$storage/objects" -type f -size "${size}c" -newer "$file" | head -1)
  [ -n "$stored" ] || { echo "the uploaded file is not in $storage/objects" >&2; exit 1; }
  sync
  t0=$(seconds); cat "$stored" >"$work/copy"; t1=$(seconds)
  cat_s=$(python3 -c "print($t1 - $t0)")
  rm -f "$work/copy"; sync
  timed_curl -o "$work/copy" "$url/storage/v1/object/materials/$name" \
    -H "apikey: $key" -H "Authorization: Bearer $key" >"$work/t"
  read -r down_s down_server down_client <"$work/t"
  cmp -s "$file" "$work/copy" || { echo "downloaded bytes differ" >&2; exit 1; }
  timed_curl -o /dev/null "$url/storage/v1/object/materials/$name" \
    -H "apikey: $key" -H "Authorization: Bearer $key" >"$work/t"
  read -r null_s null_server null_client <"$work/t"
  rm -f "$work/copy"; sync
  timed_curl -o "$work/copy" "http://127.0.0.1:$nginx_port/${stored#"$storage"/}" >"$work/t"
  read -r nginx_s _ _ <"$work/t"
  cmp -s "$file" "$work/copy" || { echo "nginx's bytes differ" >&2; exit 1; }
  rm -f "$work/copy" "$stored"
  psql -XAtq "$DATABASE_URL" -c "DELETE FROM storage.file_deletions; DELETE FROM storage.objects WHERE name = '$name'" >/dev/null
  echo "$i $up_s $cp_s $down_s $cat_s $((peak - before)) $null_s $up_server $up_client $down_server $down_client $null_server $null_client $nginx_s" >>"$work/results"
done

python3 - "$work/results" "$size" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
size = int(sys.argv[2]) / 1e6
col = lambda i: [float(r[i]) for r in rows]
up, cp, down, cat, rss, null, *cpu, nginx = (statistics.median(col(i)) for i in range(1, 14))
print(f"runs: {len(rows)}, file: {size:.1f} MB; medians")
print(f"upload   {up*1000:7.1f} ms  {size/up:7.0f} MB/s   cp  {cp*1000:6.1f} ms  {size/cp:7.0f} MB/s   ratio (cp time / upload time) {cp/up:.2f}")
print(f"download {down*1000:7.1f} ms  {size/down:7.0f} MB/s   cat {cat*1000:6.1f} ms  {size/cat:7.0f} MB/s   ratio (cat time / download time) {cat/down:.2f}")
print(f"download to /dev/null (no client disk writes) {null*1000:7.1f} ms  {size/null:7.0f} MB/s")
print(f"reference: nginx (sendfile) to the same curl, to a file {nginx*1000:7.1f} ms  ratio (cat time / nginx time) {cat/nginx:.2f}")
print(f"server peak RSS growth during upload: {rss/1024:.2f} MB (max {max(col(5))/1024:.2f} MB)")
print(f"CPU per transfer (ms, server / curl): upload {cpu[0]:.1f} / {cpu[1]:.1f}, download {cpu[2]:.1f} / {cpu[3]:.1f},"
      f" download to /dev/null {cpu[4]:.1f} / {cpu[5]:.1f}")
PY
