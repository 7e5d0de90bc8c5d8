# hnsw under concurrency: 4 sessions insert rows one transaction each while 4 sessions search
# and a fifth deletes rows and runs VACUUM; nothing fails and no row is lost from the index.
# Uses a database of its own next to DATABASE_URL's. Speaks TAP.
set -u
. "$(dirname "$0")/lib/hnsw.sh"
dbname=${TEST_DB:-studybase_test}_hnsw_concurrency
db_url="${DATABASE_URL%/*}/$dbname"
work=$(mktemp -d)
cleanup() { dropdb --if-exists "$dbname" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
dropdb --if-exists "$dbname" 2>/dev/null
createdb "$dbname"

echo "1..6"
sql "create extension vector; select setseed(0.5);
     create table items (id bigserial primary key, v vector(64));
     insert into items (v) select $(random_vector 64 i) from generate_series(1, 2000) i;
     create index items_v on items using hnsw (v vector_l2_ops);" >/dev/null
echo "insert into items (v) values ($(random_vector 64));" >"$work/insert.sql"
echo "select id from items order by v <-> $(random_vector 64) limit 10;" >"$work/search.sql"

pgbench -n -c 4 -j 4 -t 250 -f "$work/insert.sql" "$db_url" >"$work/insert.log" 2>&1 &
inserters=$!
pgbench -n -c 4 -j 4 -t 500 -f "$work/search.sql" "$db_url" >"$work/search.log" 2>&1 &
searchers=$!
sql "delete from items where id <= 2000 and id % 5 = 0" >"$work/vacuum.log" 2>&1 && sql "vacuum items" >>"$work/vacuum.log" 2>&1
vacuum_status=$?
wait "$inserters"
insert_status=$?
wait "$searchers"
search_status=$?

check "4 sessions insert 1000 rows without an error" [ "$insert_status" -eq 0 ]
check "4 sessions search 2000 times meanwhile without an error" [ "$search_status" -eq 0 ]
check "DELETE and VACUUM meanwhile succeed" [ "$vacuum_status" -eq 0 ]
is "the table holds the 2600 rows expected" "$(sql "select count(*) from items")" 2600
is "a full index scan returns every one of them once" "$(index_scan_counts items)" "2600 2600"
recall=$(index_recall items 64)
check "the index agrees with exact search (recall@10 $recall >= 0.95)" at_least "$recall" 0.95
[ "$insert_status" -eq 0 ] || sed 's/^/# /' "$work/insert.log"
[ "$search_status" -eq 0 ] || sed 's/^/# /' "$work/search.log"
[ "$vacuum_status" -eq 0 ] || sed 's/^/# /' "$work/vacuum.log"
