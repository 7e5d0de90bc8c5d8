#!/usr/bin/env bash
# Benchmark: hnsw CREATE INDEX time of this checkout's `vector` extension against pgvector
# 0.8.0's, both with parallel workers, on the same data and machine, and the recall@10 of both
# indexes at the same hnsw.ef_search. Data: N clustered 384-dimensional unit vectors and 1,000
# queries (gen.c, fixed seed; exact answers by bruteforce.c), cosine, m = 16,
# ef_construction = 64, max_parallel_maintenance_workers = WORKERS (1: on 2 cores, the leader
# and one worker) on both sides.
#
# pgvector is built from Debian's source tarball (SHA-256 checked; cached where
# ext/vector/test/pgvector-regress.sh keeps it) in a temporary folder and installed, renamed,
# next to ours into a PRIVATE PostgreSQL copy (never the system's): extension, control file
# and module become `pgvector_ref` (its parallel build names its library too). Nothing of
# pgvector's is kept in this repository. Ours is `vector`; each has its own database in one
# cluster (shared_buffers=1GB maintenance_work_mem=1GB jit=off, as run.sh).
#
# Builds: ROUNDS rounds, alternating which side goes first, a checkpoint before each; medians
# and the ratio ours / pgvector. After each build, recall@10 of that index over all queries
# at hnsw.ef_search = EF (random levels make it vary from build to build: medians compared).
# OPS=l2 builds with vector_l2_ops instead of vector_cosine_ops (the vectors are unit length,
# so the exact answers are the same). Then
# (SERIAL=1, the default) one serial build of ours (max_parallel_maintenance_workers = 0)
# with its recall, for comparison.
#
#   PG_CONFIG=/work/pg-NAME/usr/lib/postgresql/15/bin/pg_config bench/vector/build_vs_pgvector.sh [N]
#   (as root: the cluster runs as user postgres; make the copy with /work/notes/private-pg.sh)
#   Settings: ROUNDS (5), WORKERS (1), EF (40), SERIAL (1), OPS (cosine).
# Starts a cluster in a temporary folder and removes it on exit.
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
N=${1:-100000}
Q=1000
D=384
C=200
M=16
EFC=64
EF=${EF:-40}
ROUNDS=${ROUNDS:-5}
WORKERS=${WORKERS:-1}
SERIAL=${SERIAL:-1}
OPS=${OPS:-cosine}
case $OPS in
  cosine) opclass=vector_cosine_ops op='<=>' ;;
  l2) opclass=vector_l2_ops op='<->' ;;
  *) echo "OPS must be cosine or l2" >&2; exit 2 ;;
esac
. "$here/pgvector_ref.sh"

echo "## machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$here" rev-parse --short HEAD)$(git -C "$here" diff --quiet HEAD -- ../../ext/vector || echo '+changes')"
echo "N=$N Q=$Q D=$D clusters=$C m=$M ef_construction=$EFC max_parallel_maintenance_workers=$WORKERS rounds=$ROUNDS ef_search=$EF ops=$opclass"

gcc -O2 -o "$work/gen" gen.c -lm
gcc -O2 -o "$work/bruteforce" bruteforce.c -lm
"$work/gen" "$N" "$Q" "$D" "$C" "$work"
"$work/bruteforce" "$work" "$N" "$Q" "$D" >/dev/null

build_pgvector pgvector_ref
make -s -C ../../ext/vector PG_CONFIG="$PG_CONFIG" -j2 >/dev/null
make -s -C ../../ext/vector PG_CONFIG="$PG_CONFIG" install >/dev/null

port=$((20000 + RANDOM % 20000))
chown postgres "$work" 2>/dev/null || true
as_pg "$bindir/initdb" -D "$data" -A trust -U postgres >/dev/null
as_pg "$bindir/pg_ctl" -D "$data" -l "$work/pg.log" -w start \
  -o "-p $port -k $work -c listen_addresses= -c shared_buffers=1GB -c maintenance_work_mem=1GB -c jit=off -c max_parallel_maintenance_workers=$WORKERS -c checkpoint_timeout=30min -c max_wal_size=8GB" >/dev/null
export PGHOST=$work PGPORT=$port PGUSER=postgres
sql() { psql -XAtq -v ON_ERROR_STOP=1 "$@"; }

for db in ours pgv; do
  ext=$([ $db = ours ] && echo vector || echo pgvector_ref)
  sql -d postgres -c "create database $db"
  sql -d $db -c "create extension $ext;
        create table items (id int primary key, v vector($D));
        create table queries (id int primary key, v vector($D));
        create table truth (qid int, rank int, id int);"
  sql -d $db -c "\\copy items from '$work/base.tsv'" -c "\\copy queries from '$work/queries.tsv'" \
      -c "\\copy truth from '$work/truth.tsv'"
  sql -d $db -c "vacuum analyze items" -c "vacuum analyze queries"
  echo "$db: extension $ext $(sql -d $db -c "select extversion from pg_extension where extname = '$ext'")"
done

ms() { date +%s%3N; }
# Builds the index in database $1 (dropping the previous one first), with settings $2; prints seconds.
build_in() {
  local db=$1 t0
  sql -d "$db" -c "set client_min_messages = warning" -c "drop index if exists items_v" -c "checkpoint"
  t0=$(ms)
  PGOPTIONS="${2:-}" sql -d "$db" -c "create index items_v on items using hnsw (v $opclass) with (m = $M, ef_construction = $EFC)"
  awk -v t=$(($(ms) - t0)) 'BEGIN { printf "%.2f", t / 1000 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
recall_in() {
  PGOPTIONS="-c hnsw.ef_search=$EF" sql -d "$1" -c "select round(count(*)::numeric / ($Q * 10), 4) from queries q
             cross join lateral (select id from items order by v $op q.v limit 10) a join truth t on t.qid = q.id and t.id = a.id"
}

echo "## build (seconds; max_parallel_maintenance_workers = $WORKERS on both)"
declare -A times recalls
for round in $(seq 1 "$ROUNDS"); do
  order="ours pgv"
  [ $((round % 2)) -eq 0 ] && order="pgv ours"
  line="round $round:"
  for db in $order; do
    t=$(build_in "$db")
    r=$(recall_in "$db")
    times[$db]="${times[$db]:-} $t"
    recalls[$db]="${recalls[$db]:-} $r"
    line="$line $db $t (recall $r)"
  done
  echo "$line load $(cut -d' ' -f1 /proc/loadavg)"
done
for db in ours pgv; do
  echo "$db median build_s $(echo "${times[$db]}" | tr ' ' '\n' | grep . | median) index_mb $(sql -d $db -c "select round(pg_relation_size('items_v') / 1048576.0, 1)") median recall@10 $(echo "${recalls[$db]}" | tr ' ' '\n' | grep . | median)"
done
mo=$(echo "${times[ours]}" | tr ' ' '\n' | grep . | median)
mp=$(echo "${times[pgv]}" | tr ' ' '\n' | grep . | median)
echo "ratio ours / pgvector (medians): $(awk -v a="$mo" -v b="$mp" 'BEGIN { printf "%.2f", a / b }')"
# the parallel build really ran in parallel on our side (one more build, to read the count)
echo "ours workers launched: $(sql -d ours -c "set client_min_messages = warning" -c "drop index items_v" \
  -c "create index items_v on items using hnsw (v $opclass) with (m = $M, ef_construction = $EFC)" -c "select hnsw_last_build_workers()")"
if [ "$SERIAL" = 1 ]; then
  t=$(build_in ours "-c max_parallel_maintenance_workers=0")
  echo "ours serial (max_parallel_maintenance_workers = 0) build_s $t recall@10 $(recall_in ours) load $(cut -d' ' -f1 /proc/loadavg)"
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
