# An hnsw index in an older page layout is refused, not misread: in a private cluster, an index
# whose meta page says layout version 2 (as the extension before element and neighbour tuples
# wrote) makes scans, inserts, VACUUM and hnsw_link_check fail with "was built by an older
# version of the vector extension; REINDEX it", and REINDEX makes it usable again. The version
# is changed on disk with the cluster stopped. Creates the cluster with initdb in a temporary
# folder (as the postgres user when run as root), listening only on a Unix socket in that
# folder, and removes it on exit. Speaks TAP.
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
cleanup() {
  as_pg "$bindir/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

start() { as_pg "$bindir/pg_ctl" -D "$data" -o "-p $port -c listen_addresses= -k $work" -l "$work/log" -w start >/dev/null; }
stop() { as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null; }
# the error of an SQL statement (psql's stderr), or "" if it succeeds
error_of() { psql "$db_url" -XAtq -v ON_ERROR_STOP=1 -c "$1" 2>&1 >/dev/null | sed -n 's/^.*ERROR: *//p' | head -1; }
refused="index \"items_v\" was built by an older version of the vector extension; REINDEX it"

echo "1..7"
as_pg "$bindir/initdb" -D "$data" -A trust -U postgres >"$work/initdb.log" 2>&1 && start
sql "create extension vector; select setseed(0.5);
     create table items (id int primary key, v vector(8));
     insert into items select i, $(random_vector 8 i) from generate_series(1, 200) i;
     create index items_v on items using hnsw (v vector_l2_ops);" >/dev/null
file=$data/$(sql "select pg_relation_filepath('items_v')")
stop
# the meta page's contents start after the 24-byte page header: magic (4 bytes), then version
printf '\002\000\000\000' | dd of="$file" bs=1 seek=28 conv=notrunc status=none
check "the cluster starts with the index's meta page saying version 2" start

query="set enable_seqscan = off; select id from items order by v <-> '[1,2,3,4,5,6,7,8]' limit 1"
is "a scan is refused with a REINDEX hint" "$(error_of "$query")" "$refused"
is "an insert is refused likewise" "$(error_of "insert into items values (1000, '[1,2,3,4,5,6,7,8]')")" "$refused"
sql "delete from items where id = 1" >/dev/null
is "VACUUM is refused likewise" "$(error_of "vacuum items")" "$refused"
is "hnsw_link_check is refused likewise" "$(error_of "select * from hnsw_link_check('items_v')")" "$refused"
sql "reindex index items_v" >/dev/null
is "after REINDEX the index answers" "$(sql "$query")" "$(sql "set enable_indexscan = off; $query")"
is "and takes inserts" "$(error_of "insert into items values (1000, '[1,2,3,4,5,6,7,8]')")" ""
