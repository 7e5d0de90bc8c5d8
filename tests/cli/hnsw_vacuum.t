# hnsw and VACUUM: after deletes and VACUUM the index returns exactly the remaining rows,
# agrees with exact search, keeps the distance each neighbour slot records equal to the real
# one (VACUUM relinks the graph), and reuses the freed space for new rows (whose heap TIDs may
# be the deleted rows' old ones). Uses a database of its own next to DATABASE_URL's. Speaks TAP.
set -u
. "$(dirname "$0")/lib/hnsw.sh"
dbname=${TEST_DB:-studybase_test}_hnsw_vacuum
db_url="${DATABASE_URL%/*}/$dbname"
cleanup() { dropdb --if-exists "$dbname" 2>/dev/null; }
trap cleanup EXIT
cleanup
createdb "$dbname"

echo "1..10"
sql "create extension vector; select setseed(0.5);
     create table items (id int primary key, v vector(32));
     insert into items select i, $(random_vector 32 i) from generate_series(1, 3000) i;
     create index items_v on items using hnsw (v vector_l2_ops);" >/dev/null
size_before=$(sql "select pg_relation_size('items_v')")
# slots whose recorded distance is not the distance between the two vectors, and slots that
# point at no node (hnsw_link_check)
link_faults() { sql "select wrong_distances || ' ' || dangling from hnsw_link_check('items_v')"; }
is "after the build every neighbour slot records its true distance" "$(link_faults)" "0 0"

sql "delete from items where id % 3 = 0" >/dev/null
check "VACUUM succeeds" sql "vacuum items"
is "the index returns the 2000 remaining rows, each once" "$(index_scan_counts items)" "2000 2000"
is "no deleted row comes back" "$(sql "set enable_seqscan = off; select count(*) from (select id from items order by v <-> (select v from items limit 1) limit 3000) s where id % 3 = 0")" 0
recall=$(index_recall items 32)
check "after VACUUM the index agrees with exact search (recall@10 $recall >= 0.95)" at_least "$recall" 0.95
is "after VACUUM's relinking every slot still records its true distance and none is dangling" "$(link_faults)" "0 0"

sql "insert into items select 3000 + i, $(random_vector 32 i) from generate_series(1, 1000) i" >/dev/null
is "rows inserted after VACUUM are found, each once, with the rest" "$(index_scan_counts items)" "3000 3000"
is "and their links record true distances too" "$(link_faults)" "0 0"
size_after=$(sql "select pg_relation_size('items_v')")
check "they reuse the freed space (index $size_before -> $size_after bytes, under 3% growth)" \
  at_least $((size_before * 103 / 100)) "$size_after"
recall=$(index_recall items 32)
check "and the index still agrees with exact search (recall@10 $recall >= 0.95)" at_least "$recall" 0.95
