#!/usr/bin/env bash
# Benchmark: the vector extension's hnsw index against FAISS's in-memory HNSW (Debian's
# libfaiss-dev, same m and ef values, one thread) and exact search by a plain C loop, on the
# same data: N clustered 384-dimensional unit vectors (gen.c, fixed seed) and 1,000 queries.
# Measures the index build time and size, recall@10 / QPS / p50 and p99 latency per
# hnsw.ef_search (one session, prepared statements, random queries), exact search time (the
# default plan, the extension's top-N scan, and the seq scan + sort with it off), and
# single-row inserts per second into the table with and without the index from 1 and 4
# sessions: copies of the 1,000 query vectors (after the first thousand, mostly vectors the
# table already holds) and distinct new vectors from the same clusters. Prints a report
# (bench/vector/RESULTS.md holds one).
#   bench/vector/run.sh [N]        (default 100000; root: installs libfaiss-dev if missing)
# PG_BINDIR: the PostgreSQL whose extension directory gets this checkout's build (default the
# system's; a private copy, e.g. made by private-pg.sh, keeps other sessions' install intact).
# SKIP_FAISS=1 leaves out the FAISS baseline (for before/after runs of the extension alone).
# Starts a private cluster (initdb in a temporary folder, shared_buffers 1GB so the index
# fits in memory like FAISS's) and removes it on exit.
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
N=${1:-100000}
Q=1000
D=384
C=200
M=16
EFC=64
EFS="10 20 40 80 160"
SECONDS_PER_RUN=${SECONDS_PER_RUN:-8}
F=60000   # distinct new vectors for the insert runs

if [ "${SKIP_FAISS:-0}" != 1 ] && ! [ -f /usr/include/faiss/IndexHNSW.h ]; then
  apt-get install -y libfaiss-dev >/dev/null
fi
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

work=$(mktemp -d)
chmod 755 "$work"
data=$work/pgdata
cleanup() {
  as_pg "$bindir/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "## machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); N=$N Q=$Q D=$D clusters=$C m=$M ef_construction=$EFC"

gcc -O2 -o "$work/gen" gen.c -lm
gcc -O2 -o "$work/bruteforce" bruteforce.c -lm
[ "${SKIP_FAISS:-0}" = 1 ] || g++ -O2 -fopenmp -o "$work/faiss_hnsw" faiss_hnsw.cpp -lfaiss -lblas -llapack
"$work/gen" "$N" "$Q" "$D" "$C" "$work" "$F"

echo "## baselines"
"$work/bruteforce" "$work" "$N" "$Q" "$D"
# shellcheck disable=SC2086
[ "${SKIP_FAISS:-0}" = 1 ] || "$work/faiss_hnsw" "$work" "$N" "$Q" "$D" "$M" "$EFC" $EFS

echo "## postgresql"
# this checkout's extension (another checkout's build may have replaced it system-wide)
make -s -C ../../ext/vector PG_CONFIG="$bindir/pg_config" install >/dev/null
port=$((20000 + RANDOM % 20000))
chown postgres "$work" 2>/dev/null || true
as_pg "$bindir/initdb" -D "$data" -A trust -U postgres >/dev/null
as_pg "$bindir/pg_ctl" -D "$data" -l "$work/pg.log" -w start \
  -o "-p $port -k $work -c listen_addresses= -c shared_buffers=1GB -c maintenance_work_mem=1GB -c jit=off" >/dev/null
export PGHOST=$work PGPORT=$port PGUSER=postgres PGDATABASE=postgres
sql() { psql -XAtq -v ON_ERROR_STOP=1 "$@"; }
sql -c "create extension vector; create extension pg_prewarm;
        create table items (id int primary key, v vector($D));
        create table queries (id int primary key, v vector($D));
        create table truth (qid int, rank int, id int);
        create table plain (id int primary key, v vector($D));
        create table fresh (id int primary key, v vector($D));
        create sequence row_ids start 10000000;
        create sequence fresh_ids_plain; create sequence fresh_ids_items;"
sql -c "\\copy items from '$work/base.tsv'" -c "\\copy queries from '$work/queries.tsv'" -c "\\copy truth from '$work/truth.tsv'" \
    -c "\\copy fresh from '$work/fresh.tsv'"
sql -c "vacuum analyze items" -c "vacuum analyze queries" -c "vacuum analyze fresh"

ms() { date +%s%3N; }
t0=$(ms)
sql -c "create index items_v on items using hnsw (v vector_cosine_ops) with (m = $M, ef_construction = $EFC)"
echo "postgres build_s $(awk -v t=$(($(ms) - t0)) 'BEGIN { printf "%.2f", t / 1000 }')"
echo "postgres index_mb $(sql -c "select round(pg_relation_size('items_v') / 1048576.0, 1)") table_mb $(sql -c "select round(pg_table_size('items') / 1048576.0, 1)")"
sql -c "select pg_prewarm('items_v'), pg_prewarm('items')" >/dev/null

cat >"$work/search.sql" <<SQL
\\set qid random(1, $Q)
select id from items order by v <=> (select v from queries where id = :qid) limit 10;
SQL
# One pgbench run of the search script with settings $1, for 2 x SECONDS_PER_RUN seconds;
# only the second half counts, as a new backend first maps the shared buffers' pages it
# touches (minor page faults), which would otherwise be most of a short run. Prints
# "qps p50_ms p99_ms". Log columns: client, transaction, latency (us), script, end (s, us).
search_run() {
  rm -f "$work"/lat.*
  (cd "$work" && PGOPTIONS="$1" pgbench -n -M prepared -c 1 -T $((2 * SECONDS_PER_RUN)) -l --log-prefix=lat -f search.sql >/dev/null 2>&1)
  cat "$work"/lat.* | awk '{ printf "%.6f %.3f\n", $5 + $6 / 1e6, $3 / 1000 }' | sort -n >"$work/by_time"
  local first last
  first=$(head -1 "$work/by_time" | cut -d' ' -f1)
  last=$(tail -1 "$work/by_time" | cut -d' ' -f1)
  awk -v from="$first" -v warm="$SECONDS_PER_RUN" '$1 >= from + warm { print $2 }' "$work/by_time" | sort -n >"$work/kept"
  awk -v from="$first" -v last="$last" -v warm="$SECONDS_PER_RUN" '
    { lat[NR] = $1 }
    END { printf "%.0f %.3f %.3f\n", NR / (last - from - warm), lat[int(NR * 0.5) + 1], lat[int(NR * 0.99) + 1] }' "$work/kept"
}
median3() { sort -n | sed -n 2p; }
for ef in $EFS; do
  recall=$(PGOPTIONS="-c hnsw.ef_search=$ef" sql -c "select round(count(*)::numeric / ($Q * 10), 4) from queries q
             cross join lateral (select id from items order by v <=> q.v limit 10) a join truth t on t.qid = q.id and t.id = a.id")
  runs=$(for _ in 1 2 3; do search_run "-c hnsw.ef_search=$ef"; done)
  qps=$(echo "$runs" | awk '{ print $1 }' | median3)
  p50=$(echo "$runs" | awk '{ print $2 }' | median3)
  p99=$(echo "$runs" | awk '{ print $3 }' | median3)
  echo "postgres ef_search $ef recall $recall qps $qps p50_ms $p50 p99_ms $p99"
done
runs=$(for _ in 1 2 3; do search_run "-c enable_indexscan=off -c max_parallel_workers_per_gather=0"; done)
echo "postgres exact (1 process, default plan: the extension's top-N scan) qps $(echo "$runs" | awk '{ print $1 }' | median3) p50_ms $(echo "$runs" | awk '{ print $2 }' | median3)"
# the same with the extension's exact top-N scan switched off: sequential scan + top-N Sort
runs=$(for _ in 1 2 3; do search_run "-c enable_indexscan=off -c max_parallel_workers_per_gather=0 -c vector.enable_topn_scan=off"; done)
echo "postgres exact, vector.enable_topn_scan off (seq scan + sort, 1 process) qps $(echo "$runs" | awk '{ print $1 }' | median3) p50_ms $(echo "$runs" | awk '{ print $2 }' | median3)"
runs=$(for _ in 1 2 3; do search_run "-c enable_indexscan=off"; done)
echo "postgres exact (parallel workers allowed: 2; the planner's choice) qps $(echo "$runs" | awk '{ print $1 }' | median3) p50_ms $(echo "$runs" | awk '{ print $2 }' | median3)"

# Single-row insert rate into the plain table and the indexed one, from 1 and 4 sessions, of
# the pgbench script $2 (with TABLE standing for the table's name); $1 labels the lines.
insert_rates() {
  local label=$1 script=$2 table clients tps
  for table in plain items; do
    echo "${script//TABLE/$table}" >"$work/$label-$table.sql"
    for clients in 1 4; do
      tps=$(cd "$work" && pgbench -n -M prepared -c "$clients" -j "$clients" -T "$SECONDS_PER_RUN" -f "$label-$table.sql" 2>/dev/null |
            awk '/^tps/ { printf "%.0f", $3 }')
      echo "postgres $label table $table$([ $table = items ] && echo ' (hnsw index)') sessions $clients rows_per_s $tps"
    done
  done
}
insert_rates "inserts" "\\set qid random(1, $Q)
insert into TABLE (id, v) select nextval('row_ids'), v from queries where id = :qid;"
# the same with vectors the table does not hold yet (each row a distinct one of F; both
# tables get the same vectors in the same order)
insert_rates "inserts of distinct new vectors" \
  "insert into TABLE (id, v) select nextval('row_ids'), v from fresh where id = (select 1 + nextval('fresh_ids_TABLE') % $F);"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
# other checkouts on this machine install their own build of the extension system-wide
if cmp -s ../../ext/vector/vector.so "$($bindir/pg_config --pkglibdir)/vector.so"; then
  echo "installed vector.so at end: this checkout's build"
else
  echo "installed vector.so at end: NOT this checkout's build (replaced during the run; figures suspect)"
fi
