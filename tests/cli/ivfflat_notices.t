# ivfflat's build NOTICE, as pgvector words it (pgTAP cannot see notices): an index built with
# fewer sampled rows than lists (an empty table, or TRUNCATE, which rebuilds the index empty)
# says "ivfflat index created with little data", with a DETAIL and a HINT; one built with
# enough rows says nothing. Uses a database of its own next to DATABASE_URL's. Speaks TAP.
set -u
. "$(dirname "$0")/lib/hnsw.sh"
dbname=${TEST_DB:-studybase_test}_ivfflat_notices
db_url="${DATABASE_URL%/*}/$dbname"
cleanup() { dropdb --if-exists "$dbname" 2>/dev/null; }
trap cleanup EXIT
cleanup
createdb "$dbname"

# what psql prints on stderr for one statement (notices), without the "psql:" prefix
notices() { psql "$db_url" -Xq -v ON_ERROR_STOP=1 -c "$1" 2>&1 >/dev/null | sed 's/^psql:[^ ]* //'; }
little_data="NOTICE:  ivfflat index created with little data
DETAIL:  This will cause low recall.
HINT:  Drop the index until the table has more data."

echo "1..5"
sql "create extension vector; select setseed(0.5);
     create table empty (v vector(3));
     create table few (v vector(3));
     insert into few select $(random_vector 3 i) from generate_series(1, 50) i;
     create table enough (v vector(3));
     insert into enough select $(random_vector 3 i) from generate_series(1, 200) i;" >/dev/null
is "an index on an empty table gets pgvector's NOTICE, DETAIL and HINT" \
  "$(notices "create index on empty using ivfflat (v vector_l2_ops)")" "$little_data"
is "so does one with fewer rows (50) than lists (100)" \
  "$(notices "create index on few using ivfflat (v vector_l2_ops) with (lists = 100)")" "$little_data"
is "one with as many rows as lists says nothing" \
  "$(notices "create index on few using ivfflat (v vector_l2_ops) with (lists = 50)")" ""
is "nor one with more rows than lists" \
  "$(notices "create index on enough using ivfflat (v vector_cosine_ops) with (lists = 100)")" ""
is "TRUNCATE rebuilds the index on no rows: the NOTICE again (as in pgvector)" \
  "$(notices "truncate enough")" "$little_data"
