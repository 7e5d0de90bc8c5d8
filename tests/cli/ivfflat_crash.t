# ivfflat survives a crash: in a private cluster, 3 sessions insert into an indexed table (10
# lists, so the inserts keep adding pages to the lists' chains) while the postmaster and its
# backends are killed with SIGKILL; after the restart (WAL replay) every committed row is in
# the index once, each is found first by its own vector with one probe, and inserts go on.
# Creates the cluster with initdb in a temporary folder (as the postgres user when run as
# root), listening only on a Unix socket in that folder, and removes it on exit. Speaks TAP.
set -u
. "$(dirname "$0")/lib/hnsw.sh"
bindir=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
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
# how many rows a scan of every list returns, and how many distinct ones
full_scan_counts() {
  sql "set enable_seqscan = off; set ivfflat.probes = 10;
       select count(*) || ' ' || count(distinct id) from (select id from items order by v <-> (select v from items limit 1) limit 1000000) s"
}

echo "1..6"
as_pg "$bindir/initdb" -D "$data" -A trust -U postgres >"$work/initdb.log" 2>&1 && start
answers() { [ "$(sql "select 1" 2>/dev/null)" = 1 ]; }
check "a private cluster starts" answers
sql "create extension vector; select setseed(0.5);
     create table items (id bigserial primary key, v vector(32));
     insert into items (v) select $(random_vector 32 i) from generate_series(1, 1000) i;
     create index items_v on items using ivfflat (v vector_l2_ops) with (lists = 10);" >/dev/null 2>&1
echo "insert into items (v) values ($(random_vector 32));" >"$work/insert.sql"
for _ in 1 2 3; do
  pgbench -n -c 1 -T 300 -f "$work/insert.sql" "$db_url" >/dev/null 2>&1 &
  loaders="$loaders $!"
done

# Kill once the loaders have committed 3,000 more rows (they run until the crash stops them).
until [ "$(sql "select count(*) >= 4000 from items" 2>/dev/null)" = t ]; do :; done
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
check "the crash interrupted the inserts after at least 4000 rows ($rows)" at_least "$rows" 4000
is "every committed row is in the index once" "$(full_scan_counts)" "$rows $rows"
is "each is found first by its own vector with one probe" \
  "$(sql "set enable_seqscan = off; select count(*) from items p where (select id from items order by v <-> p.v limit 1) = p.id")" "$rows"
sql "insert into items (id, v) values (1000000, '[$(seq -s, 1 32)]')" >/dev/null
is "inserts after the restart are found" \
  "$(sql "set enable_seqscan = off; select id from items order by v <-> '[$(seq -s, 1 32)]' limit 1")" 1000000
