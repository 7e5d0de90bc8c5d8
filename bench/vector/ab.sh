#!/usr/bin/env bash
# A/B benchmark of the vector extension's hnsw index: this checkout's build against the build
# of an earlier revision, side by side in one private cluster (the earlier one installed as
# extension `vector_base`, module vector_base.so, in a database of its own), on the same data
# (gen.c: N clustered 384-dimensional unit vectors, 1,000 queries, fresh vectors to insert).
# Measures each side's index build time and size, recall@10 and queries per second at a few
# hnsw.ef_search values, and single-row inserts of distinct new vectors per second from 1 and
# 4 sessions, alternating A and B run by run (ROUNDS rounds of SECONDS_PER_RUN seconds each),
# so that a machine whose load changes meanwhile weighs on both alike. Prints each side's
# medians and the ratio B/A: of the rate, and of the server's CPU time per query or row (the
# postmaster's own and its exited children's, from /proc: what other load on the machine
# disturbs least).
#   PG_BINDIR=... bench/vector/ab.sh BASE_REV [N]     (N default 50000)
# PG_BINDIR: the PostgreSQL whose extension directory gets both builds (use a private copy,
# e.g. made by private-pg.sh, not the system's other sessions use). Starts a cluster in a
# temporary folder (shared_buffers 1GB) and removes it on exit.
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
base_rev=${1:?usage: ab.sh BASE_REV [N]}
N=${2:-50000}
Q=1000
D=384
C=200
M=16
EFC=64
EFS=${EFS:-"20 40 80"}
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
F=40000
bindir=${PG_BINDIR:?set PG_BINDIR to a private PostgreSQL copy}
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
echo "A: $(git rev-parse --short "$base_rev") ($base_rev)  B: this checkout ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- ../../ext/vector || echo ' + changes'))"

# A: the earlier revision's extension, renamed vector_base
mkdir -p "$work/base"
git -C ../.. archive "$base_rev" ext/vector | tar -x -C "$work/base"
(
  cd "$work/base/ext/vector"
  sed "s|/vector'|/vector_base'|" vector.control >vector_base.control
  cp sql/vector--0.8.0.sql sql/vector_base--0.8.0.sql
  make -s PG_CONFIG="$bindir/pg_config" EXTENSION=vector_base MODULE_big=vector_base \
    DATA=sql/vector_base--0.8.0.sql install >/dev/null
)
# B: this checkout's
make -s -C ../../ext/vector PG_CONFIG="$bindir/pg_config" install >/dev/null

gcc -O2 -o "$work/gen" gen.c -lm
gcc -O2 -o "$work/bruteforce" bruteforce.c -lm
"$work/gen" "$N" "$Q" "$D" "$C" "$work" "$F" >/dev/null
"$work/bruteforce" "$work" "$N" "$Q" "$D" >/dev/null	# truth.tsv: the exact top 10 of each query

port=$((20000 + RANDOM % 20000))
chown postgres "$work" 2>/dev/null || true
as_pg "$bindir/initdb" -D "$data" -A trust -U postgres >/dev/null
as_pg "$bindir/pg_ctl" -D "$data" -l "$work/pg.log" -w start \
  -o "-p $port -k $work -c listen_addresses= -c shared_buffers=1GB -c maintenance_work_mem=1GB -c jit=off" >/dev/null
export PGHOST=$work PGPORT=$port PGUSER=postgres
postmaster=$(head -1 "$data/postmaster.pid")
# CPU time (clock ticks) of the cluster's processes that have exited, the postmaster's included
cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$postmaster/stat"; }
hz=$(getconf CLK_TCK)
sql() { local db=$1; shift; psql -XAtq -v ON_ERROR_STOP=1 -d "$db" "$@"; }
ms() { date +%s%3N; }
sides="a b"
declare -A ext=([a]=vector_base [b]=vector)
for s in $sides; do
  sql postgres -c "create database $s"
  sql "$s" -c "create extension ${ext[$s]}; create extension pg_prewarm;
      create table items (id int primary key, v vector($D));
      create table queries (id int primary key, v vector($D));
      create table truth (qid int, rank int, id int);
      create table fresh (id int primary key, v vector($D));
      create sequence row_ids start 10000000; create sequence fresh_ids;"
  sql "$s" -c "\\copy items from '$work/base.tsv'" -c "\\copy queries from '$work/queries.tsv'" \
      -c "\\copy truth from '$work/truth.tsv'" -c "\\copy fresh from '$work/fresh.tsv'"
  sql "$s" -c "vacuum analyze items" -c "vacuum analyze queries" -c "vacuum analyze fresh"
done

for s in $sides; do
  t0=$(ms)
  sql "$s" -c "create index items_v on items using hnsw (v vector_cosine_ops) with (m = $M, ef_construction = $EFC)"
  echo "$s build_s $(awk -v t=$(($(ms) - t0)) 'BEGIN { printf "%.2f", t / 1000 }') index_mb $(sql "$s" -c "select round(pg_relation_size('items_v') / 1048576.0, 1)")"
  sql "$s" -c "select pg_prewarm('items_v'), pg_prewarm('items')" >/dev/null
done

cat >"$work/search.sql" <<SQL
\\set qid random(1, $Q)
select id from items order by v <=> (select v from queries where id = :qid) limit 10;
SQL
cat >"$work/insert.sql" <<SQL
insert into items (id, v) select nextval('row_ids'), v from fresh where id = (select 1 + nextval('fresh_ids') % $F);
SQL
# "tps cpu_ms_per_transaction" of one pgbench run of script $2 on database $1 with $3 sessions
# and settings $4 (the backends have exited when pgbench returns; wait until they are reaped)
tps() {
  local before out after
  before=$(cpu_ticks)
  out=$(cd "$work" && PGOPTIONS="$4" pgbench -n -M prepared -c "$3" -j "$3" -T "$SECONDS_PER_RUN" -f "$2" "$1" 2>/dev/null)
  for _ in $(seq 100); do [ -z "$(pgrep -P "$postmaster" -f "postgres: postgres $1")" ] && break; sleep 0.05; done
  sleep 0.2	# an exited backend's time reaches the postmaster's once it is reaped
  after=$(cpu_ticks)
  echo "$out" | awk -v t=$((after - before)) -v hz="$hz" '
    /^number of transactions actually processed/ { n = $NF } /^tps/ { tps = $3 }
    END { printf "%.0f %.3f", tps, (n > 0 ? t * 1000 / hz / n : 0) }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# alternates A and B for ROUNDS rounds; prints the medians of each side's rate and CPU time
# per transaction, their ratios B/A, and every run's rate
compare() {
  local label=$1 script=$2 clients=$3 opts=$4 r s
  declare -A rate=([a]="" [b]="") cpu=([a]="" [b]="")
  for s in $sides; do tps "$s" "$script" "$clients" "$opts" >/dev/null; done	# warm-up: map the shared buffers
  for r in $(seq "$ROUNDS"); do
    for s in $sides; do
      read -r t c <<<"$(tps "$s" "$script" "$clients" "$opts")"
      rate[$s]="${rate[$s]} $t"
      cpu[$s]="${cpu[$s]} $c"
    done
  done
  local a b ca cb
  a=$(echo "${rate[a]}" | tr ' ' '\n' | grep . | median)
  b=$(echo "${rate[b]}" | tr ' ' '\n' | grep . | median)
  ca=$(echo "${cpu[a]}" | tr ' ' '\n' | grep . | median)
  cb=$(echo "${cpu[b]}" | tr ' ' '\n' | grep . | median)
  echo "$label: rate A $a B $b B/A $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }');" \
       "server CPU ms each A $ca B $cb B/A $(awk -v a="$ca" -v b="$cb" 'BEGIN { printf "%.3f", b / a }')" \
       " (rates A:${rate[a]}; B:${rate[b]})"
}
for ef in $EFS; do
  for s in $sides; do
    echo "$s ef_search $ef recall $(PGOPTIONS="-c hnsw.ef_search=$ef" sql "$s" -c "select round(count(*)::numeric / ($Q * 10), 4) from queries q
             cross join lateral (select id from items order by v <=> q.v limit 10) a join truth t on t.qid = q.id and t.id = a.id")"
  done
  compare "search, ef_search $ef" search.sql 1 "-c hnsw.ef_search=$ef"
done
compare "inserts of distinct new vectors, 1 session" insert.sql 1 ""
compare "inserts of distinct new vectors, 4 sessions" insert.sql 4 ""
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
