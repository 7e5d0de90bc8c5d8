-- The exact top-N scan ("Vector Exact Top-N", vector_topn.c): for ORDER BY <distance> LIMIT n
-- on a table it must return what the sequential scan and Sort return (vector.enable_topn_scan
-- off), in the same order: each distance operator, WHERE clauses, OFFSET, NULL vectors last,
-- NaN (a zero vector under cosine) after every number, a query vector from a parameter or a
-- lateral reference, TOASTed vectors; and the planner must choose it only where it applies.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(34);
\ir lib/helpers.sql

-- The ids a query returns, in order, with the top-N scan allowed or not.
CREATE FUNCTION pg_temp.ids(query text, topn boolean) RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE
	result int[];
BEGIN
	PERFORM set_config('vector.enable_topn_scan', topn::text, true);
	EXECUTE 'SELECT array(' || query || ')' INTO result;
	PERFORM set_config('vector.enable_topn_scan', 'on', true);
	RETURN result;
END
$$;

-- 3,000 random 8-dimensional rows in 3 groups; every 500th vector NULL; row 3001 a zero vector.
SELECT setseed(0.42);
CREATE TEMP TABLE pts (id int, grp int, v vector(8));
INSERT INTO pts
SELECT i, i % 3, CASE WHEN i % 500 <> 0 THEN
	(SELECT array_agg(random() - 0.5) FROM generate_series(1, 8) WHERE i > 0)::vector END
FROM generate_series(1, 3000) AS i;
INSERT INTO pts VALUES (3001, 0, '[0,0,0,0,0,0,0,0]');
ANALYZE pts;

-- Each distance operator ------------------------------------------------------------------
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$),
	'Custom Scan \(Vector Exact Top-N\) on pts', 'ORDER BY v <-> q LIMIT k on a table without an index uses the top-N scan');
SELECT is(pg_temp.ids($$SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, true),
	pg_temp.ids($$SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, false),
	'<->: the same rows in the same order as the Sort');
SELECT is(pg_temp.ids($$SELECT id FROM pts ORDER BY v <#> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, true),
	pg_temp.ids($$SELECT id FROM pts ORDER BY v <#> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, false),
	'<#>: the same rows in the same order as the Sort');
SELECT is(pg_temp.ids($$SELECT id FROM pts ORDER BY v <=> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, true),
	pg_temp.ids($$SELECT id FROM pts ORDER BY v <=> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, false),
	'<=>: the same rows in the same order as the Sort');
SELECT is(pg_temp.ids($$SELECT id FROM pts ORDER BY v <+> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, true),
	pg_temp.ids($$SELECT id FROM pts ORDER BY v <+> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, false),
	'<+>: the same rows in the same order as the Sort');
SELECT is(pg_temp.ids($$SELECT id FROM pts ORDER BY '[0.1,0,0,0,0,0,0,0.2]' <=> v LIMIT 10$$, true),
	pg_temp.ids($$SELECT id FROM pts ORDER BY v <=> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, false),
	'the query vector may be the left argument');
SELECT is(pg_temp.ids($$SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 1$$, true),
	pg_temp.ids($$SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 1$$, false),
	'LIMIT 1 returns the nearest row');
SELECT is((SELECT array_agg(round(d::numeric, 6)) FROM (SELECT v <-> '[0.1,0,0,0,0,0,0,0.2]' AS d FROM pts
		ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 5) AS s),
	(SELECT (array_agg(round(d::numeric, 6) ORDER BY d))[1:5] FROM (SELECT v <-> '[0.1,0,0,0,0,0,0,0.2]' AS d FROM pts
		WHERE v IS NOT NULL) AS s),
	'the projected distances are the 5 smallest, ascending');

-- WHERE clauses, OFFSET ---------------------------------------------------------------------
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts WHERE grp = 1 ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$),
	'Vector Exact Top-N\) on pts\n\s*Filter: \(grp = 1\)', 'the WHERE clause is the scan''s filter');
SELECT is(pg_temp.ids($$SELECT id FROM pts WHERE grp = 1 ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, true),
	pg_temp.ids($$SELECT id FROM pts WHERE grp = 1 ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, false),
	'with a WHERE clause: k matching rows, as the Sort returns them');
SELECT is((SELECT count(*) FROM (SELECT id FROM pts WHERE grp = 1 AND id <= 40 ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10) s),
	10::bigint, 'a selective WHERE clause still yields k rows when k match');
SELECT is(pg_temp.ids($$SELECT id FROM pts WHERE v <-> '[0.1,0,0,0,0,0,0,0.2]' < 0.5 ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, true),
	pg_temp.ids($$SELECT id FROM pts WHERE v <-> '[0.1,0,0,0,0,0,0,0.2]' < 0.5 ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, false),
	'a WHERE clause on the distance itself');
SELECT is(pg_temp.ids($$SELECT id FROM pts ORDER BY v <=> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 5 OFFSET 7$$, true),
	pg_temp.ids($$SELECT id FROM pts ORDER BY v <=> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 5 OFFSET 7$$, false),
	'LIMIT with OFFSET skips the nearest rows as the Sort does');

-- NULL vectors and NaN distances -----------------------------------------------------------
SELECT is(pg_temp.ids($$SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 2995$$, true),
	pg_temp.ids($$SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 2995$$, false),
	'every row with a vector, in the Sort''s order, before any NULL');
SELECT is((SELECT array_agg(id ORDER BY id) FROM (SELECT id, row_number() OVER () AS n FROM
		(SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 3001) s) t WHERE n > 2995),
	ARRAY[500, 1000, 1500, 2000, 2500, 3000], 'NULL vectors come last');
SELECT is((SELECT array_agg(id) FROM (SELECT id, row_number() OVER () AS n FROM
		(SELECT id FROM pts ORDER BY v <=> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 3001) s) t WHERE n = 2995),
	ARRAY[3001], 'under cosine the zero vector (distance NaN) comes after every number, before the NULLs');
SELECT is((SELECT count(*) FROM (SELECT id, v FROM pts ORDER BY v <=> '[0,0,0,0,0,0,0,0]' LIMIT 10) s WHERE v IS NOT NULL),
	10::bigint, 'a zero query vector under cosine (every distance NaN) still returns k rows with vectors');

-- Parameters and rescans -------------------------------------------------------------------
SET LOCAL vector.enable_topn_scan = off;
CREATE TEMP TABLE expected AS
	SELECT array(SELECT id FROM pts ORDER BY v <-> '[0,0.3,0,0,0,0,0,0]' LIMIT 10) AS ids;
SET LOCAL vector.enable_topn_scan = on;
SET LOCAL plan_cache_mode = force_generic_plan;
PREPARE near(vector) AS SELECT id FROM pts ORDER BY v <-> $1 LIMIT 10;
SELECT matches(pg_temp.plan_of($$EXECUTE near('[0,0.3,0,0,0,0,0,0]')$$), 'Vector Exact Top-N',
	'a prepared statement''s generic plan uses the scan with the query vector as a parameter');
SELECT results_eq($$EXECUTE near('[0,0.3,0,0,0,0,0,0]')$$, $$SELECT unnest(ids) FROM expected$$,
	'the parameter''s value is the query vector');
DEALLOCATE near;
RESET plan_cache_mode;
SELECT is(pg_temp.ids($$SELECT a.id FROM (SELECT id, v FROM pts WHERE id IN (1, 2, 3, 4)) AS q
		CROSS JOIN LATERAL (SELECT id FROM pts ORDER BY v <-> q.v LIMIT 4) AS a ORDER BY q.id$$, true),
	pg_temp.ids($$SELECT a.id FROM (SELECT id, v FROM pts WHERE id IN (1, 2, 3, 4)) AS q
		CROSS JOIN LATERAL (SELECT id FROM pts ORDER BY v <-> q.v LIMIT 4) AS a ORDER BY q.id$$, false),
	'a lateral query vector is evaluated again on each rescan');

-- Rows changed in this transaction ------------------------------------------------------------
DELETE FROM pts WHERE id IN (SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 3);
UPDATE pts SET v = '[0.1,0,0,0,0,0,0,0.2]' WHERE id = 2999;
SELECT is(pg_temp.ids($$SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, true),
	pg_temp.ids($$SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, false),
	'after deletes and an update: the rows the snapshot sees, as the Sort returns them');
SELECT is((pg_temp.ids($$SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$, true))[1], 2999,
	'the updated row comes first, at its new distance 0');
SELECT is((SELECT count(*) FROM (SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10) AS s WHERE id = 2999),
	1::bigint, 'its old version is not returned as well');

-- TOASTed vectors ----------------------------------------------------------------------------
CREATE TEMP TABLE wide (id int, v vector(1000));
INSERT INTO wide SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 1000) WHERE i > 0)::vector
FROM generate_series(1, 40) AS i;
SELECT is(pg_temp.ids($$SELECT id FROM wide ORDER BY v <-> (SELECT v FROM wide WHERE id = 7) LIMIT 5$$, true),
	pg_temp.ids($$SELECT id FROM wide ORDER BY v <-> (SELECT v FROM wide WHERE id = 7) LIMIT 5$$, false),
	'vectors stored out of line are detoasted and compared like the Sort does');

-- Errors --------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT id FROM pts ORDER BY v <-> '[1,2,3]' LIMIT 5$$, '22000',
	'different vector dimensions 8 and 3', 'a query vector of another dimension is the operator''s error');
SELECT throws_ok($$SELECT id FROM pts ORDER BY '[1,2,3]' <=> v LIMIT 5$$, '22000',
	'different vector dimensions 3 and 8', 'the error names the dimensions in the query''s order');

-- When the planner chooses it ------------------------------------------------------------------
SELECT doesnt_match(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]'$$),
	'Vector Exact Top-N', 'not without a LIMIT');
SELECT doesnt_match(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' DESC LIMIT 10$$),
	'Vector Exact Top-N', 'not for the farthest rows (DESC)');
SELECT doesnt_match(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 20000$$),
	'Vector Exact Top-N', 'not for a LIMIT above 10,000 rows');
SELECT doesnt_match(pg_temp.plan_of($$SELECT ctid FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$),
	'Vector Exact Top-N', 'not when a system column is selected');
SELECT doesnt_match(pg_temp.plan_of($$SELECT p.id FROM pts AS p JOIN wide AS w ON w.id = p.id
		ORDER BY p.v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$),
	'Vector Exact Top-N', 'not for a join');
SET LOCAL vector.enable_topn_scan = off;
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <-> '[0.1,0,0,0,0,0,0,0.2]' LIMIT 10$$),
	'Sort', 'vector.enable_topn_scan = off gives the sequential scan and Sort');
SET LOCAL vector.enable_topn_scan = on;
-- 20,000 rows: enough for an hnsw index scan to be cheaper than reading the table
CREATE TEMP TABLE many (id int, v vector(4));
INSERT INTO many SELECT i, ARRAY[sin(i), cos(i), sin(i * 0.37), cos(i * 0.91)]::vector FROM generate_series(1, 20000) AS i;
CREATE INDEX many_v ON many USING hnsw (v vector_l2_ops) WITH (m = 4, ef_construction = 8);
ANALYZE many;
SELECT matches(pg_temp.plan_of($$SELECT id FROM many ORDER BY v <-> '[0.1,0,0,0.2]' LIMIT 10$$),
	'Index Scan using many_v', 'where an hnsw index on the operator wins, it stays the planner''s choice');
SET LOCAL enable_indexscan = off;
SELECT matches(pg_temp.plan_of($$SELECT id FROM many ORDER BY v <-> '[0.1,0,0,0.2]' LIMIT 10$$),
	'Vector Exact Top-N', 'with index scans disabled the top-N scan is chosen');

SELECT * FROM finish();
ROLLBACK;
