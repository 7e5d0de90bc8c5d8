-- The hnsw index: its operator classes agree with exact search, rows inserted, updated and
-- deleted after the build, NULLs, zero vectors, duplicates, filtered (iterative) scans,
-- REINDEX, settings, and every bad input's error.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(40);
\ir lib/helpers.sql

-- 2,000 pseudo-random 8-dimensional points (fixed seed: no ties), 20 queries.
SELECT setseed(0.5);
CREATE TEMP TABLE pts AS
	SELECT i AS id, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 8))::vector(8) AS v
	FROM generate_series(1, 2000) AS i;
CREATE TEMP TABLE qs AS
	SELECT i AS id, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 8))::vector(8) AS v
	FROM generate_series(1, 20) AS i;

-- The top k per query of `ORDER BY v <op> q`, through whatever plan is enabled.
CREATE FUNCTION pg_temp.top(op text, k int) RETURNS TABLE (qid int, ids int[]) LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format(
		'SELECT q.id, array(SELECT p.id FROM pts AS p ORDER BY p.v %s q.v LIMIT %s) FROM qs AS q ORDER BY q.id', op, k);
END
$$;
-- How many of the index's top 10 are in the exact top 10, over all queries (of 200).
CREATE FUNCTION pg_temp.hits(op text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	SET LOCAL enable_indexscan = off;
	CREATE TEMP TABLE exact_top ON COMMIT DROP AS SELECT * FROM pg_temp.top(op, 10);
	SET LOCAL enable_indexscan = on;
	SELECT sum(cardinality(array(SELECT unnest(a.ids) INTERSECT SELECT unnest(e.ids)))) INTO n
	FROM pg_temp.top(op, 10) AS a JOIN exact_top AS e USING (qid);
	DROP TABLE exact_top;
	RETURN n;
END
$$;
SET LOCAL enable_seqscan = off;

-- Operator classes ------------------------------------------------------------------------
CREATE INDEX pts_l2 ON pts USING hnsw (v vector_l2_ops);
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 5$$),
	'Index Scan using pts_l2', 'ORDER BY v <-> q LIMIT k uses the vector_l2_ops index');
SELECT cmp_ok(pg_temp.hits('<->'), '>=', 196::bigint, 'vector_l2_ops finds the exact 10 nearest by <-> (>= 98%)');
SELECT is((SELECT array_agg(d ORDER BY n) FROM (SELECT row_number() OVER () AS n, d FROM (SELECT v <-> '[0,0,0,0,0,0,0,0]' AS d FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 50) s) t)
	= (SELECT array_agg(d ORDER BY d) FROM (SELECT v <-> '[0,0,0,0,0,0,0,0]' AS d FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 50) s), true,
	'rows come back nearest first');
DROP INDEX pts_l2;

CREATE INDEX pts_ip ON pts USING hnsw (v vector_ip_ops);
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <#> '[1,0,0,0,0,0,0,0]' LIMIT 5$$),
	'Index Scan using pts_ip', 'ORDER BY v <#> q uses the vector_ip_ops index');
SELECT cmp_ok(pg_temp.hits('<#>'), '>=', 190::bigint, 'vector_ip_ops finds the exact 10 nearest by <#> (>= 95%)');
DROP INDEX pts_ip;

CREATE INDEX pts_cos ON pts USING hnsw (v vector_cosine_ops);
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <=> '[1,0,0,0,0,0,0,0]' LIMIT 5$$),
	'Index Scan using pts_cos', 'ORDER BY v <=> q uses the vector_cosine_ops index');
SELECT cmp_ok(pg_temp.hits('<=>'), '>=', 196::bigint, 'vector_cosine_ops finds the exact 10 nearest by <=> (>= 98%)');
DROP INDEX pts_cos;

CREATE INDEX pts_l1 ON pts USING hnsw (v vector_l1_ops);
SELECT cmp_ok(pg_temp.hits('<+>'), '>=', 196::bigint, 'vector_l1_ops finds the exact 10 nearest by <+> (>= 98%)');
DROP INDEX pts_l1;

SELECT doesnt_match(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 5$$),
	'Index Scan', 'an index of another operator class is not used for <->');

-- Changes after the build -------------------------------------------------------------------
CREATE INDEX pts_idx ON pts USING hnsw (v vector_l2_ops) WITH (m = 8, ef_construction = 32);
INSERT INTO pts VALUES (5001, '[5,5,5,5,5,5,5,5]'), (5002, '[5,5,5,5,5,5,5,5.1]');
SELECT is(array(SELECT id FROM pts ORDER BY v <-> '[5,5,5,5,5,5,5,5]' LIMIT 2), ARRAY[5001, 5002], 'rows inserted after the build are found');
UPDATE pts SET v = '[-5,-5,-5,-5,-5,-5,-5,-5]' WHERE id = 5001;
SELECT is(array(SELECT id FROM pts ORDER BY v <-> '[-5,-5,-5,-5,-5,-5,-5,-5]' LIMIT 1), ARRAY[5001], 'an updated row is found at its new value');
SELECT is(array(SELECT id FROM pts ORDER BY v <-> '[5,5,5,5,5,5,5,5]' LIMIT 1), ARRAY[5002], 'and no longer at its old one');
DELETE FROM pts WHERE id = 5002;
SELECT is(array(SELECT id FROM pts ORDER BY v <-> '[5,5,5,5,5,5,5,5]' LIMIT 1) <> ARRAY[5002], true, 'a deleted row is not returned');
SELECT cmp_ok(pg_temp.hits('<->'), '>=', 196::bigint, 'after the changes the index still agrees with exact search');
INSERT INTO pts SELECT 6000 + i, '[3,3,3,3,3,3,3,3]' FROM generate_series(1, 25) AS i;
SELECT is((SELECT count(*) FROM (SELECT id FROM pts ORDER BY v <-> '[3,3,3,3,3,3,3,3]' LIMIT 25) s WHERE id > 6000), 25::bigint,
	'25 rows with the same vector all come back');
INSERT INTO pts VALUES (7001, NULL), (7002, NULL);
SET LOCAL hnsw.iterative_scan = relaxed_order;
SELECT is((SELECT count(*) FROM (SELECT id FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 100000) s), (SELECT count(*) FROM pts WHERE v IS NOT NULL),
	'a full index scan returns every row with a vector once, and no NULL one');
RESET hnsw.iterative_scan;
SELECT is(array(SELECT id FROM pts ORDER BY v <-> NULL LIMIT 3) IS NOT NULL, true, 'a NULL query returns rows (in no particular order)');
REINDEX INDEX pts_idx;
SELECT cmp_ok(pg_temp.hits('<->'), '>=', 196::bigint, 'after REINDEX the index agrees with exact search');
SELECT is(array(SELECT id FROM pts ORDER BY v <-> '[-5,-5,-5,-5,-5,-5,-5,-5]' LIMIT 1), ARRAY[5001], 'and finds rows changed before it');

-- Filtered queries (iterative scan) -------------------------------------------------------
SET LOCAL hnsw.ef_search = 10;
SELECT is((SELECT count(*) FROM (SELECT id FROM pts WHERE id % 20 = 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 30) s), 30::bigint,
	'a WHERE clause that keeps 1 row in 20 still gets its 30 rows with ef_search 10');
SELECT is((SELECT array_agg(d ORDER BY n) = array_agg(d ORDER BY d) FROM (SELECT row_number() OVER () AS n, d FROM
	(SELECT v <-> '[0,0,0,0,0,0,0,0]' AS d FROM pts WHERE id % 20 = 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 30) s) t), true,
	'and in order (strict_order)');
SET LOCAL hnsw.iterative_scan = off;
SELECT cmp_ok((SELECT count(*) FROM (SELECT id FROM pts WHERE id % 20 = 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 30) s), '<', 30::bigint,
	'with hnsw.iterative_scan = off a scan stops after ef_search candidates');
RESET hnsw.iterative_scan;
RESET hnsw.ef_search;

-- Cosine and zero vectors -----------------------------------------------------------------
CREATE TEMP TABLE zs (id int, v vector(2));
INSERT INTO zs VALUES (1, '[0,0]'), (2, '[1,0]'), (3, '[0,1]'), (4, '[1,1]');
CREATE INDEX zs_cos ON zs USING hnsw (v vector_cosine_ops);
INSERT INTO zs VALUES (5, '[0,0]'), (6, '[2,1.9]');
SELECT is(array(SELECT id FROM zs ORDER BY v <=> '[1,0.5]' LIMIT 10), ARRAY[6, 4, 2, 3], 'zero vectors are not in a cosine index; the rest come in cosine order');
SELECT is((SELECT count(*) FROM (SELECT v <=> '[1,0.5]' AS d FROM zs ORDER BY v <=> '[1,0.5]' LIMIT 10) s WHERE d = 'NaN'), 0::bigint, 'no result has a NaN distance');
SELECT lives_ok($$SELECT id FROM zs ORDER BY v <=> '[0,0]' LIMIT 10$$, 'a zero query vector does not fail');

-- Settings ------------------------------------------------------------------------------------
SELECT is(current_setting('hnsw.ef_search'), '40', 'hnsw.ef_search defaults to 40');
SELECT throws_ok($$SET hnsw.ef_search = 0$$, '22023', '0 is outside the valid range for parameter "hnsw.ef_search" (1 .. 1000)', 'hnsw.ef_search has a range');
SELECT throws_ok($$SET hnsw.iterative_scan = 'sideways'$$, '22023', NULL, 'hnsw.iterative_scan takes only its values');

-- Bad input -----------------------------------------------------------------------------------
CREATE TEMP TABLE bad (id int, v vector(3), u vector, t text);
SELECT throws_ok($$CREATE INDEX ON bad USING hnsw (v)$$, '42704', 'data type vector has no default operator class for access method "hnsw"', 'an hnsw index needs an operator class');
SELECT throws_ok($$CREATE INDEX ON bad USING hnsw (v vector_l2_ops) WITH (m = 1)$$, '22023', 'value 1 out of bounds for option "m"', 'm below 2 is refused');
SELECT throws_ok($$CREATE INDEX ON bad USING hnsw (v vector_l2_ops) WITH (m = 101)$$, '22023', 'value 101 out of bounds for option "m"', 'm above 100 is refused');
SELECT throws_ok($$CREATE INDEX ON bad USING hnsw (v vector_l2_ops) WITH (ef_construction = 3)$$, '22023', 'value 3 out of bounds for option "ef_construction"', 'ef_construction below 4 is refused');
SELECT throws_ok($$CREATE INDEX ON bad USING hnsw (v vector_l2_ops) WITH (ef_construction = 1001)$$, '22023', 'value 1001 out of bounds for option "ef_construction"', 'ef_construction above 1000 is refused');
SELECT throws_ok($$CREATE INDEX ON bad USING hnsw (v vector_l2_ops) WITH (m = 32, ef_construction = 40)$$, '22023', 'ef_construction must be greater than or equal to 2 * m', 'ef_construction below 2 * m is refused');
SELECT throws_ok($$CREATE INDEX ON bad USING hnsw (u vector_l2_ops)$$, '22023', 'column does not have dimensions', 'a column without dimensions is refused');
SELECT throws_ok($$CREATE INDEX ON bad USING hnsw (t vector_l2_ops)$$, '42804', 'operator class "vector_l2_ops" does not accept data type text', 'a non-vector column is refused');
SELECT throws_ok($$CREATE INDEX ON bad USING hnsw ((u::vector(2001)) vector_l2_ops)$$, '54000', 'column cannot have more than 2000 dimensions for hnsw index', 'more than 2000 dimensions are refused');
CREATE INDEX bad_v ON bad USING hnsw (v vector_l2_ops);
INSERT INTO bad (v) VALUES ('[1,2,3]');
SELECT throws_ok($$INSERT INTO bad (v) VALUES ('[1,2]')$$, '22000', 'expected 3 dimensions, not 2', 'a value of the wrong dimensions is refused');
SELECT throws_ok($$INSERT INTO bad (v) VALUES ('[1,NaN,2]')$$, '22000', 'NaN not allowed in vector', 'NaN is refused');
SELECT throws_ok($$SELECT id FROM bad ORDER BY v <-> '[1,2]' LIMIT 1$$, '22000', 'different vector dimensions 3 and 2', 'a query of the wrong dimensions is refused');

SELECT * FROM finish();
ROLLBACK;
