# hnsw survives a crash: in a private cluster, 3 sessions insert into an indexed table while
# the postmaster and its backends are killed with SIGKILL; after the restart (WAL replay) every
# committed row is in the index once, every neighbour slot is right, the index agrees with
# exact search, and inserts go on. HNSW_CRASH_DIMS (32) and HNSW_CRASH_ROWS (1000: rows before
# the inserts; the kill comes after as many more) set the vectors' size (hnsw_crash_large.t:
# 2,000 dimensions, nodes split into element and neighbour tuples).
# Creates the cluster with initdb in a temporary folder (as the postgres user when run as
# root), listening only on a Unix socket in that folder, and removes it on exit. Speaks TAP.
set -u
. "$(dirname "$0")/lib/hnsw.sh"
bindir=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
dims=${HNSW_CRASH_DIMS:-32}
rows0=${HNSW_CRASH_ROWS:-1000}
[ -x "$bindir/initdb" ] || bindir=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

work=$(mktemp -d)
chmod 755 "$work"
[ "$(id -u)" -eq 0 ] && chown postgres "$work"
port=5432   # names the socket file in our own folder, so it cannot clash
data=$work/data
db_url="postgresql://postgres@/postgres?host=$work&port=$port"
loaders=""
cleanup() {
  for pid in $loaders; do kill "$pid" 2>/dev/null; done
  as_pg "$bindir/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

start() { as_pg "$bindir/pg_ctl" -D "$data" -o "-p $port -c listen_addresses= -k $work" -l "$work/log" -w start >/dev/null; }

echo "1..8"
as_pg "$bindir/initdb" -D "$data" -A trust -U postgres >"$work/initdb.log" 2>&1 && start
answers() { [ "$(sql "select 1" 2>/dev/null)" = 1 ]; }
check "a private cluster starts" answers
sql "create extension vector; select setseed(0.5);
     create table items (id bigserial primary key, v vector($dims));
     insert into items (v) select $(random_vector "$dims" i) from generate_series(1, $rows0) i;
     create index items_v on items using hnsw (v vector_l2_ops);" >/dev/null ||
  { echo "Bail out! the indexed table of $dims dimensions could not be set up"; exit 1; }
echo "insert into items (v) values ($(random_vector "$dims"));" >"$work/insert.sql"
for _ in 1 2 3; do
  pgbench -n -c 1 -T 300 -f "$work/insert.sql" "$db_url" >/dev/null 2>&1 &
  loaders="$loaders $!"
done

# Kill once the loaders have committed 1,000 more rows (they run until the crash stops them).
until [ "$(sql "select count(*) >= $((2 * rows0)) from items" 2>/dev/null)" = t ]; do :; done
postmaster=$(head -1 "$data/postmaster.pid")
backends=$(pgrep -P "$postmaster")
kill -9 "$postmaster" $backends
for pid in $loaders; do wait "$pid"; done
# SIGKILL is delivered asynchronously: wait until the killed processes are gone
for pid in "$postmaster" $backends; do
  while [ -e "/proc/$pid" ]; do :; done
done
loaders=""

check "the cluster restarts after kill -9 (WAL replay)" start
rows=$(sql "select count(*) from items")
check "the crash interrupted the inserts after at least $((2 * rows0)) rows ($rows)" at_least "$rows" $((2 * rows0))
is "every committed row is in the index once" "$(index_scan_counts items)" "$rows $rows"
is "every neighbour slot records its true distance and none is dangling" \
  "$(sql "select wrong_distances || ' ' || dangling from hnsw_link_check('items_v')")" "0 0"
recall=$(index_recall items "$dims")
check "the index agrees with exact search (recall@10 $recall >= 0.95)" at_least "$recall" 0.95
sql "insert into items (id, v) values (1000000, '[$(seq -s, 1 "$dims")]')" >/dev/null
is "inserts after the restart are found" \
  "$(sql "set enable_seqscan = off; select id from items order by v <-> '[$(seq -s, 1 "$dims")]' limit 1")" 1000000
# a crash between a split node's two tuples leaves a neighbour tuple without owner: a VACUUM
# that relinks frees it, so afterwards every neighbour tuple belongs to a node
sql "delete from items where id % 10 = 0" >/dev/null
sql "vacuum items" >/dev/null
is "after a VACUUM no neighbour tuple is left without its node, no slot dangles" \
  "$(sql "select (neighbour_tuples = split_nodes) || ' ' || dangling from hnsw_link_check('items_v')")" "true 0"
