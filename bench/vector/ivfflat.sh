#!/usr/bin/env bash
# Benchmark: the ivfflat index of this checkout's `vector` extension, against exact search and
# (PGVECTOR=1, the default) against pgvector 0.8.0's ivfflat built from source, on the same
# data: N clustered 384-dimensional unit vectors and 1,000 queries (gen.c, fixed seed), cosine,
# lists = N / 1000 (pgvector's advice up to 1M rows). Both extensions are installed side by side
# into a PRIVATE copy of PostgreSQL 15 (never the system's): ours as `vector`, pgvector renamed
# to `pgvector` (module pgvector.so), each in its own database of one cluster.
#
# Measures: CREATE INDEX time of each (ROUNDS times, alternating which goes first; medians)
# and the index size; then per ivfflat.probes, recall@10 over all 1,000 queries against the
# exact answers of bruteforce.c, and queries per second, p50 and p99 latency of one session
# (pgbench -M prepared -c 1, random query, `ORDER BY v <=> (SELECT v FROM queries WHERE id =
# $1) LIMIT 10`; RUNS runs of 2 x SECONDS_PER_RUN seconds, the first half of each discarded as
# warm-up, medians), with enable_seqscan = off so both sides run their index whatever the
# planner would pick (a line says when the default settings would not use the index); the
# backend's CPU time per query (all 1,000 queries in one session, from /proc: steadier than
# the rate on a shared machine); and the same for the exact top-N scan.
#
#   PG_CONFIG=/work/pg-NAME/usr/lib/postgresql/15/bin/pg_config bench/vector/ivfflat.sh [N]
#   (as root: the cluster runs as user postgres; make the private copy with
#    /work/notes/private-pg.sh NAME). Settings: PGVECTOR (1; 0 skips pgvector), LISTS
#    (N / 1000), PROBES ("1 2 4 8 16 32"), ROUNDS (3), RUNS (3), SECONDS_PER_RUN (5),
#    CLUSTERS (200, run.sh's data: well separated clusters, each inside one list, so one probe
#    already finds everything; 10 makes each cluster span about lists / 10 lists, where probes
#    matter).
# Downloads pgvector's source from Debian's archive (checked against its SHA-256; cached,
# pgvector_ref.sh). Starts a cluster in a temporary folder and removes it on exit.
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
N=${1:-100000}
Q=1000
D=384
C=${CLUSTERS:-200}
LISTS=${LISTS:-$((N / 1000 > 0 ? N / 1000 : 1))}
PROBES=${PROBES:-"1 2 4 8 16 32"}
ROUNDS=${ROUNDS:-3}
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
PGVECTOR=${PGVECTOR:-1}
. "$here/pgvector_ref.sh"

dbs="ours"
[ "$PGVECTOR" = 1 ] && dbs="ours pgv"
echo "## machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$here" rev-parse --short HEAD)$(git -C "$here" diff --quiet HEAD -- ../../ext/vector || echo '+changes')"
echo "N=$N Q=$Q D=$D clusters=$C lists=$LISTS rounds=$ROUNDS runs=$RUNS seconds_per_run=$SECONDS_PER_RUN"

gcc -O2 -o "$work/gen" gen.c -lm
gcc -O2 -o "$work/bruteforce" bruteforce.c -lm
"$work/gen" "$N" "$Q" "$D" "$C" "$work"
"$work/bruteforce" "$work" "$N" "$Q" "$D" >/dev/null

[ "$PGVECTOR" = 1 ] && build_pgvector pgvector
make -s -C ../../ext/vector PG_CONFIG="$PG_CONFIG" -j2 >/dev/null
make -s -C ../../ext/vector PG_CONFIG="$PG_CONFIG" install >/dev/null

port=$((20000 + RANDOM % 20000))
chown postgres "$work" 2>/dev/null || true
as_pg "$bindir/initdb" -D "$data" -A trust -U postgres >/dev/null
# one build worker at most on both sides (pgvector 0.8.0 builds ivfflat in parallel; ours does not)
as_pg "$bindir/pg_ctl" -D "$data" -l "$work/pg.log" -w start \
  -o "-p $port -k $work -c listen_addresses= -c shared_buffers=1GB -c maintenance_work_mem=1GB -c jit=off -c max_parallel_maintenance_workers=0 -c checkpoint_timeout=30min -c max_wal_size=8GB -c log_checkpoints=off" >/dev/null
export PGHOST=$work PGPORT=$port PGUSER=postgres
sql() { psql -XAtq -v ON_ERROR_STOP=1 "$@"; }

for db in $dbs; do
  ext=$([ $db = ours ] && echo vector || echo pgvector)
  sql -d postgres -c "create database $db"
  sql -d $db -c "create extension $ext; create extension pg_prewarm;
        create table items (id int primary key, v vector($D));
        create table queries (id int primary key, v vector($D));
        create table truth (qid int, rank int, id int);"
  sql -d $db -c "\\copy items from '$work/base.tsv'" -c "\\copy queries from '$work/queries.tsv'" \
      -c "\\copy truth from '$work/truth.tsv'"
  sql -d $db -c "vacuum analyze items" -c "vacuum analyze queries"
  echo "$db: extension $ext $(sql -d $db -c "select extversion from pg_extension where extname = '$ext'")"
done

ms() { date +%s%3N; }
# Builds the index in database $1 (dropping the previous one first); prints seconds.
build_in() {
  local db=$1 t0
  sql -d "$db" -c "set client_min_messages = warning" -c "drop index if exists items_v" -c "checkpoint"
  t0=$(ms)
  sql -d "$db" -c "create index items_v on items using ivfflat (v vector_cosine_ops) with (lists = $LISTS)"
  awk -v t=$(($(ms) - t0)) 'BEGIN { printf "%.2f", t / 1000 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "## build (seconds, one process each)"
declare -A times
for round in $(seq 1 "$ROUNDS"); do
  order=$dbs
  [ $((round % 2)) -eq 0 ] && order=$(echo "$dbs" | tr ' ' '\n' | tac | xargs)
  line="round $round:"
  for db in $order; do
    t=$(build_in "$db")
    times[$db]="${times[$db]:-} $t"
    line="$line $db $t"
  done
  echo "$line load $(cut -d' ' -f1 /proc/loadavg)"
done
for db in $dbs; do
  echo "$db median build_s $(echo "${times[$db]}" | tr ' ' '\n' | grep . | median) index_mb $(sql -d $db -c "select round(pg_relation_size('items_v') / 1048576.0, 1)")"
  sql -d $db -c "select pg_prewarm('items_v'), pg_prewarm('items')" >/dev/null
done

cat >"$work/search.sql" <<SQL
\\set qid random(1, $Q)
select id from items order by v <=> (select v from queries where id = :qid) limit 10;
SQL
# One pgbench run in database $1 with settings $2, for 2 x SECONDS_PER_RUN seconds; only the
# second half counts (a new backend first page-faults the shared buffers it touches). Prints
# "qps p50_ms p99_ms". Log columns: client, transaction, latency (us), script, end (s, us).
search_run() {
  rm -f "$work"/lat.*
  (cd "$work" && PGOPTIONS="$2" pgbench -n -M prepared -c 1 -T $((2 * SECONDS_PER_RUN)) -l --log-prefix=lat -f search.sql "$1" >/dev/null 2>&1)
  cat "$work"/lat.* | awk '{ printf "%.6f %.3f\n", $5 + $6 / 1e6, $3 / 1000 }' | sort -n >"$work/by_time"
  local first last
  first=$(head -1 "$work/by_time" | cut -d' ' -f1)
  last=$(tail -1 "$work/by_time" | cut -d' ' -f1)
  awk -v from="$first" -v warm="$SECONDS_PER_RUN" '$1 >= from + warm { print $2 }' "$work/by_time" | sort -n >"$work/kept"
  awk -v from="$first" -v last="$last" -v warm="$SECONDS_PER_RUN" '
    { lat[NR] = $1 }
    END { printf "%.0f %.3f %.3f\n", NR / (last - from - warm), lat[int(NR * 0.5) + 1], lat[int(NR * 0.99) + 1] }' "$work/kept"
}
# medians of RUNS search runs: "qps p50 p99"
search_medians() {
  local runs
  runs=$(for _ in $(seq 1 "$RUNS"); do search_run "$1" "$2"; done)
  echo "$(echo "$runs" | awk '{ print $1 }' | median) $(echo "$runs" | awk '{ print $2 }' | median) $(echo "$runs" | awk '{ print $3 }' | median)"
}

# The backend's CPU time per query (ms), in database $1 with settings $2: all Q queries once
# (after a first pass as warm-up: a new backend page-faults the shared buffers it touches), in
# one session, from /proc/PID/stat (user + system ticks) before and after. Unlike the rate, it
# hardly depends on what else the machine runs.
tick_hz=$(getconf CLK_TCK)
cpu_ms_per_query() {
  PGOPTIONS="$2" psql -XAtq -v ON_ERROR_STOP=1 -d "$1" >/dev/null <<SQL
select pg_backend_pid() as pid \gset
\setenv BACKEND_PID :pid
do \$\$ begin for q in 1..$Q loop
  perform id from items order by v <=> (select v from queries where id = q) limit 10;
end loop; end \$\$;
\! awk '{ print \$14 + \$15 }' /proc/\$BACKEND_PID/stat >$work/cpu0
do \$\$ begin for q in 1..$Q loop
  perform id from items order by v <=> (select v from queries where id = q) limit 10;
end loop; end \$\$;
\! awk '{ print \$14 + \$15 }' /proc/\$BACKEND_PID/stat >$work/cpu1
SQL
  awk -v a="$(cat "$work/cpu0")" -v b="$(cat "$work/cpu1")" -v hz="$tick_hz" -v q="$Q" 'BEGIN { printf "%.3f", (b - a) * 1000 / hz / q }'
}

echo "## search (recall@10 over $Q queries; one session)"
for probes in $PROBES; do
  for db in $dbs; do
    recall=$(PGOPTIONS="-c ivfflat.probes=$probes -c enable_seqscan=off" sql -d $db -c "select round(count(*)::numeric / ($Q * 10), 4) from queries q
               cross join lateral (select id from items order by v <=> q.v limit 10) a join truth t on t.qid = q.id and t.id = a.id")
    plan=$(PGOPTIONS="-c ivfflat.probes=$probes" sql -d $db -c "explain (costs off) select id from items order by v <=> (select v from queries where id = 1) limit 10" | grep -c "Index Scan using items_v" || true)
    read -r qps p50 p99 <<<"$(search_medians $db "-c ivfflat.probes=$probes -c enable_seqscan=off")"
    cpu=$(cpu_ms_per_query $db "-c ivfflat.probes=$probes -c enable_seqscan=off")
    echo "$db probes $probes recall $recall qps $qps p50_ms $p50 p99_ms $p99 cpu_ms $cpu$([ "$plan" = 1 ] || echo ' (default settings would not use the index)')"
  done
done
read -r qps p50 p99 <<<"$(search_medians ours "-c enable_indexscan=off -c max_parallel_workers_per_gather=0")"
cpu=$(cpu_ms_per_query ours "-c enable_indexscan=off -c max_parallel_workers_per_gather=0")
echo "ours exact (top-N scan, 1 process) recall 1 qps $qps p50_ms $p50 p99_ms $p99 cpu_ms $cpu"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
