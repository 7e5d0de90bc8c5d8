# Shared by tests/cli/hnsw_*.t: TAP output, a database of the test's own, random vectors in
# SQL, and the checks that an hnsw index agrees with the table. Source it; set `db_url` first
# for the sql helpers.
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; [ $# -gt 1 ] && printf '#   %s\n' "$2"; }
check() { local desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }
is() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', expected '$3'"; fi; }

sql() { psql "$db_url" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

# An SQL expression for a random vector of $1 dimensions with elements in [-1, 1), drawn
# again for each row when $2 names a column of the row (else once per statement).
random_vector() { echo "array(select random() * 2 - 1 ${2:++ 0 * $2} from generate_series(1, $1))::vector($1)"; }

# How many rows a full scan of the index returns, and how many distinct ones (relaxed order,
# no limit on visited nodes): equal to the table's row count when no row is lost.
index_scan_counts() {
  sql "set enable_seqscan = off; set hnsw.iterative_scan = relaxed_order; set hnsw.max_scan_tuples = 2147483647; set work_mem = '256MB';
       select count(*) || ' ' || count(distinct id) from (select id from $1 order by v <-> (select v from $1 limit 1) limit 1000000) s"
}

# Of the exact 10 nearest rows to 20 random queries, the share the index returns (0..1) with
# hnsw.ef_search = 100 (uniform random data is harder than real embeddings).
index_recall() {
  local table=$1 dims=$2
  sql "select setseed(0.75);
       create temp table q as select i, $(random_vector "$dims" i) as v from generate_series(1, 20) i;
       set enable_indexscan = off;
       create temp table exact as select q.i, e.id from q cross join lateral (select id from $table order by v <-> q.v limit 10) e;
       set enable_indexscan = on; set enable_seqscan = off; set hnsw.ef_search = 100;
       select round(count(*)::numeric / (select count(*) from exact), 3) from q
         cross join lateral (select id from $table order by v <-> q.v limit 10) a join exact on exact.i = q.i and exact.id = a.id" | tail -1
}

at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
