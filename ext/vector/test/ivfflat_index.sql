-- The ivfflat index: its operator classes agree with exact search, the planner uses it for
-- ORDER BY ... LIMIT, rows inserted after the build are found, NULLs and zero vectors, an
-- empty table, iterative scans with a filter, unlogged tables, and every bad input's error
-- (pgvector's messages).
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(50);
\ir lib/helpers.sql

-- 3,000 pseudo-random 8-dimensional points (fixed seed: no ties), 20 queries.
SELECT setseed(0.5);
CREATE TEMP TABLE pts AS
	SELECT i AS id, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 8))::vector(8) AS v
	FROM generate_series(1, 3000) AS i;
CREATE TEMP TABLE qs AS
	SELECT i AS id, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 8))::vector(8) AS v
	FROM generate_series(1, 20) AS i;

-- The top 10 per query of `ORDER BY v <op> q`, through whatever plan is enabled.
CREATE FUNCTION pg_temp.top(op text) RETURNS TABLE (qid int, ids int[]) LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format(
		'SELECT q.id, array(SELECT p.id FROM pts AS p ORDER BY p.v %s q.v LIMIT 10) FROM qs AS q ORDER BY q.id', op);
END
$$;
-- How many of the index's top 10 are in the exact top 10, over all queries (of 200).
CREATE FUNCTION pg_temp.hits(op text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	SET LOCAL enable_indexscan = off;
	CREATE TEMP TABLE exact_top ON COMMIT DROP AS SELECT * FROM pg_temp.top(op);
	SET LOCAL enable_indexscan = on;
	SELECT sum(cardinality(array(SELECT unnest(a.ids) INTERSECT SELECT unnest(e.ids)))) INTO n
	FROM pg_temp.top(op) AS a JOIN exact_top AS e USING (qid);
	DROP TABLE exact_top;
	RETURN n;
END
$$;
-- The SQLSTATE, message and hint an SQL statement fails with.
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	state text;
	msg text;
	hint text;
BEGIN
	EXECUTE stmt;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
	RETURN state || ': ' || msg || coalesce(' HINT: ' || nullif(hint, ''), '');
END
$$;

-- Operator classes and the planner ------------------------------------------------------------
CREATE INDEX pts_l2 ON pts USING ivfflat (v vector_l2_ops) WITH (lists = 30);
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 5$$),
	'Index Scan using pts_l2', 'ORDER BY v <-> q LIMIT k uses the index with the default settings');
SELECT doesnt_match(pg_temp.plan_of($$SELECT id FROM pts WHERE v = '[0,0,0,0,0,0,0,0]'$$),
	'pts_l2', 'the index is not used without ORDER BY its operator');
SET LOCAL enable_seqscan = off;
SET LOCAL ivfflat.probes = 30;
SELECT is(pg_temp.hits('<->'), 200::bigint, 'probes = lists: vector_l2_ops gives the exact 10 nearest by <->');
SELECT is((SELECT array_agg(d ORDER BY n) FROM (SELECT row_number() OVER () AS n, d FROM (SELECT v <-> '[0,0,0,0,0,0,0,0]' AS d FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 50) s) t)
	= (SELECT array_agg(d ORDER BY d) FROM (SELECT v <-> '[0,0,0,0,0,0,0,0]' AS d FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 50) s), true,
	'rows come back nearest first');
SET LOCAL ivfflat.probes = 10;
SELECT cmp_ok(pg_temp.hits('<->'), '>=', 180::bigint, 'probes = lists / 3: at least 90% of the exact 10 nearest');
SET LOCAL ivfflat.probes = 1;
SELECT cmp_ok(pg_temp.hits('<->'), '>=', 60::bigint, 'probes = 1: at least 30% of the exact 10 nearest (uniform 8-d data, 30 lists)');
SELECT is((SELECT count(*) FROM pts AS p WHERE (SELECT id FROM pts ORDER BY v <-> p.v LIMIT 1) = p.id), 3000::bigint,
	'with one probe every row is found first by its own vector (it lies in its nearest centre''s list)');
DROP INDEX pts_l2;

CREATE INDEX pts_default ON pts USING ivfflat (v);
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 5$$),
	'Index Scan using pts_default', 'vector_l2_ops is the default operator class');
DROP INDEX pts_default;

SET LOCAL ivfflat.probes = 100;
CREATE INDEX pts_ip ON pts USING ivfflat (v vector_ip_ops) WITH (lists = 20);
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <#> '[1,0,0,0,0,0,0,0]' LIMIT 5$$),
	'Index Scan using pts_ip', 'ORDER BY v <#> q uses the vector_ip_ops index');
SELECT is(pg_temp.hits('<#>'), 200::bigint, 'probes >= lists: vector_ip_ops gives the exact 10 nearest by <#>');
SET LOCAL ivfflat.probes = 5;
SELECT cmp_ok(pg_temp.hits('<#>'), '>=', 150::bigint, 'probes = lists / 4: at least 75% of them');
DROP INDEX pts_ip;

SET LOCAL ivfflat.probes = 100;
CREATE INDEX pts_cos ON pts USING ivfflat (v vector_cosine_ops) WITH (lists = 20);
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <=> '[1,0,0,0,0,0,0,0]' LIMIT 5$$),
	'Index Scan using pts_cos', 'ORDER BY v <=> q uses the vector_cosine_ops index');
SELECT is(pg_temp.hits('<=>'), 200::bigint, 'probes >= lists: vector_cosine_ops gives the exact 10 nearest by <=>');
SET LOCAL ivfflat.probes = 5;
SELECT cmp_ok(pg_temp.hits('<=>'), '>=', 150::bigint, 'probes = lists / 4: at least 75% of them');
SELECT is(array(SELECT id FROM pts ORDER BY v <=> (SELECT array_agg(x * 3)::vector(8) FROM unnest((SELECT v FROM pts WHERE id = 7)::real[]) AS x) LIMIT 1), ARRAY[7],
	'cosine: a scaled copy of a row''s vector finds that row first (values are normalised)');
DROP INDEX pts_cos;

SELECT is(pg_temp.error_of($$CREATE INDEX ON pts USING ivfflat (v vector_l1_ops)$$),
	'42704: operator class "vector_l1_ops" does not exist for access method "ivfflat"', 'there is no L1 operator class (as in pgvector)');

-- The build is deterministic: 12,000 rows, more than the 10,000 sampled, so the reservoir
-- replaces rows at random; two builds must still agree list for list.
CREATE TEMP TABLE many AS
	SELECT i AS id, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 8))::vector(8) AS v
	FROM generate_series(1, 12000) AS i;
CREATE FUNCTION pg_temp.one_probe_answers() RETURNS int[] LANGUAGE sql AS $$
	SELECT array_agg(id ORDER BY q, rank) FROM (
		SELECT q.id AS q, a.id, a.rank FROM qs AS q CROSS JOIN LATERAL (
			SELECT id, row_number() OVER () AS rank FROM (SELECT id FROM many ORDER BY v <-> q.v LIMIT 10) s) AS a) t
$$;
SET LOCAL ivfflat.probes = 1;
CREATE INDEX many_v ON many USING ivfflat (v vector_l2_ops) WITH (lists = 40);
CREATE TEMP TABLE first_build AS SELECT pg_temp.one_probe_answers() AS answers;
REINDEX INDEX many_v;
SELECT is(pg_temp.one_probe_answers(), (SELECT answers FROM first_build),
	'two builds on the same table give the same lists (fixed seeds for the sample and k-means)');
-- k-means with Elkan's bounds (they fit maintenance_work_mem) and plain Lloyd iterations
-- (with 1MB they do not; the sample still does) must end in the same centres: the bounds only
-- skip distances that cannot change an assignment.
SET LOCAL maintenance_work_mem = '1MB';
REINDEX INDEX many_v;
RESET maintenance_work_mem;
SELECT is(pg_temp.one_probe_answers(), (SELECT answers FROM first_build),
	'Elkan''s k-means and plain Lloyd iterations find the same lists');
DROP TABLE many;

-- Changes after the build ------------------------------------------------------------------------
CREATE INDEX pts_idx ON pts USING ivfflat (v vector_l2_ops) WITH (lists = 10);
SET LOCAL ivfflat.probes = 1;
INSERT INTO pts VALUES (5001, '[5,5,5,5,5,5,5,5]'), (5002, '[5,5,5,5,5,5,5,5.1]');
SELECT is(array(SELECT id FROM pts ORDER BY v <-> '[5,5,5,5,5,5,5,5]' LIMIT 2), ARRAY[5001, 5002], 'rows inserted after the build are found');
INSERT INTO pts SELECT 6000 + i, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 8))::vector(8) FROM generate_series(1, 2000) AS i;
SELECT is((SELECT count(*) FROM pts AS p WHERE p.id > 6000 AND (SELECT id FROM pts ORDER BY v <-> p.v LIMIT 1) = p.id), 2000::bigint,
	'2,000 rows inserted after the build (new pages added to the lists) are each found first by their own vector');
SET LOCAL ivfflat.probes = 10;
SELECT is((SELECT count(*) || ' ' || count(DISTINCT id) FROM (SELECT id FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 100000) s),
	(SELECT count(*) || ' ' || count(*) FROM pts), 'probing every list returns every row once');
UPDATE pts SET v = '[-5,-5,-5,-5,-5,-5,-5,-5]' WHERE id = 5001;
SET LOCAL ivfflat.probes = 1;
SELECT is(array(SELECT id FROM pts ORDER BY v <-> '[-5,-5,-5,-5,-5,-5,-5,-5]' LIMIT 1), ARRAY[5001], 'an updated row is found at its new value');
SELECT is(array(SELECT id FROM pts ORDER BY v <-> '[5,5,5,5,5,5,5,5]' LIMIT 1), ARRAY[5002], 'and no longer at its old one');
DELETE FROM pts WHERE id = 5002;
SELECT is(array(SELECT id FROM pts ORDER BY v <-> '[5,5,5,5,5,5,5,5]' LIMIT 1) <> ARRAY[5002], true, 'a deleted row is not returned');

-- Iterative scans: a filter that leaves few rows per list -------------------------------------------
SET LOCAL ivfflat.probes = 1;
SELECT cmp_ok((SELECT count(*) FROM (SELECT id FROM pts WHERE id % 100 = 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10) s), '<', 10::bigint,
	'iterative_scan off (the default): one list, so a selective filter leaves fewer rows than the LIMIT');
SET LOCAL ivfflat.iterative_scan = relaxed_order;
SELECT is((SELECT count(*) FROM (SELECT id FROM pts WHERE id % 100 = 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10) s), 10::bigint,
	'relaxed_order: the scan probes more lists until the LIMIT is met');
SELECT is((SELECT count(*) FROM (SELECT id FROM pts WHERE id % 100 = 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]') s), (SELECT count(*) FROM pts WHERE id % 100 = 0),
	'relaxed_order without a LIMIT reaches every matching row (max_probes defaults to all lists)');
SET LOCAL ivfflat.max_probes = 2;
SELECT cmp_ok((SELECT count(*) FROM (SELECT id FROM pts WHERE id % 100 = 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]') s), '<', (SELECT count(*) FROM pts WHERE id % 100 = 0),
	'ivfflat.max_probes bounds the lists an iterative scan reads');
RESET ivfflat.iterative_scan;
RESET ivfflat.max_probes;

-- NULLs, zero vectors, NULL queries, an empty table, TRUNCATE, unlogged ----------------------------
CREATE TEMP TABLE t (val vector(3));
INSERT INTO t (val) VALUES ('[0,0,0]'), ('[1,2,3]'), ('[1,1,1]'), (NULL);
CREATE INDEX t_cos ON t USING ivfflat (val vector_cosine_ops) WITH (lists = 1);
SELECT is(array(SELECT val::text FROM t ORDER BY val <=> '[3,3,3]'), ARRAY['[1,1,1]', '[1,2,3]'],
	'cosine: NULLs and zero vectors are not indexed');
SELECT is((SELECT count(*) FROM (SELECT * FROM t ORDER BY val <=> (SELECT NULL::vector)) s), 2::bigint, 'a NULL query returns the indexed rows');
DROP INDEX t_cos;
CREATE INDEX t_l2 ON t USING ivfflat (val vector_l2_ops) WITH (lists = 1);
SELECT is(array(SELECT val::text FROM t ORDER BY val <-> '[3,3,3]'), ARRAY['[1,2,3]', '[1,1,1]', '[0,0,0]'],
	'l2: zero vectors are indexed, NULLs are not');
TRUNCATE t;
SELECT is((SELECT count(*) FROM (SELECT * FROM t ORDER BY val <-> '[3,3,3]') s), 0::bigint, 'after TRUNCATE the index returns nothing');
INSERT INTO t VALUES ('[1,2,3]');
SELECT is(array(SELECT val::text FROM t ORDER BY val <-> '[3,3,3]'), ARRAY['[1,2,3]'], 'and finds rows inserted after it');

CREATE TEMP TABLE empty (id int, v vector(4));
CREATE INDEX empty_v ON empty USING ivfflat (v vector_l2_ops) WITH (lists = 5);
SELECT is((SELECT count(*) FROM (SELECT * FROM empty ORDER BY v <-> '[1,1,1,1]' LIMIT 5) s), 0::bigint, 'an index built on an empty table returns nothing');
INSERT INTO empty SELECT i, ARRAY[i, -i, i % 7, 1]::vector(4) FROM generate_series(1, 500) AS i;
SET LOCAL ivfflat.probes = 5;
SELECT is((SELECT count(*) FROM (SELECT * FROM empty ORDER BY v <-> '[1,1,1,1]') s), 500::bigint, 'rows inserted into it are all found with probes = lists');
SET LOCAL ivfflat.probes = 1;
SELECT is((SELECT count(*) FROM empty AS e WHERE (SELECT id FROM empty ORDER BY v <-> e.v LIMIT 1) = e.id), 500::bigint,
	'and each is found first by its own vector with one probe (its random centres still partition the rows)');

CREATE UNLOGGED TABLE unlogged_pts (v vector(3));
INSERT INTO unlogged_pts VALUES ('[0,0,0]'), ('[1,2,3]'), ('[1,1,1]');
CREATE INDEX ON unlogged_pts USING ivfflat (v vector_l2_ops) WITH (lists = 1);
SELECT is(array(SELECT v::text FROM unlogged_pts ORDER BY v <-> '[3,3,3]'), ARRAY['[1,2,3]', '[1,1,1]', '[0,0,0]'], 'unlogged tables can have the index');

-- Errors -----------------------------------------------------------------------------------------------
SELECT is(pg_temp.error_of($$CREATE INDEX ON pts USING ivfflat (v) WITH (lists = 0)$$),
	'22023: value 0 out of bounds for option "lists"', 'lists below 1');
SELECT is(pg_temp.error_of($$CREATE INDEX ON pts USING ivfflat (v) WITH (lists = 32769)$$),
	'22023: value 32769 out of bounds for option "lists"', 'lists above 32768');
SELECT is(pg_temp.error_of($$SET ivfflat.probes = 0$$),
	'22023: 0 is outside the valid range for parameter "ivfflat.probes" (1 .. 32768)', 'ivfflat.probes below 1');
SELECT is(pg_temp.error_of($$SET ivfflat.max_probes = 32769$$),
	'22023: 32769 is outside the valid range for parameter "ivfflat.max_probes" (1 .. 32768)', 'ivfflat.max_probes above 32768');
SELECT is(pg_temp.error_of($$SET ivfflat.iterative_scan = on$$),
	'22023: invalid value for parameter "ivfflat.iterative_scan": "on" HINT: Available values: off, relaxed_order.', 'ivfflat.iterative_scan has no "on"');
RESET ivfflat.probes;
SELECT is(ARRAY[current_setting('ivfflat.probes'), current_setting('ivfflat.iterative_scan'), current_setting('ivfflat.max_probes')],
	ARRAY['1', 'off', '32768'], 'the settings'' defaults are pgvector''s');
CREATE TEMP TABLE nodims (v vector);
SELECT is(pg_temp.error_of($$CREATE INDEX ON nodims USING ivfflat (v)$$), '22023: column does not have dimensions', 'a column without dimensions');
CREATE TEMP TABLE wide (v vector(2001));
SELECT is(pg_temp.error_of($$CREATE INDEX ON wide USING ivfflat (v)$$),
	'54000: column cannot have more than 2000 dimensions for ivfflat index', 'more than 2,000 dimensions');
CREATE TEMP TABLE widest (v vector(2000));
INSERT INTO widest SELECT array_fill(i, ARRAY[2000])::vector(2000) FROM generate_series(1, 3) AS i;
SELECT lives_ok($$CREATE INDEX widest_v ON widest USING ivfflat (v) WITH (lists = 2)$$, '2,000 dimensions are fine');
SELECT is(array(SELECT v[1] FROM (SELECT v::real[] AS v FROM widest ORDER BY v <-> array_fill(2.9, ARRAY[2000])::vector(2000) LIMIT 1) s), ARRAY[3::real],
	'and searchable');
CREATE TEMP TABLE one_dim (v vector(1));
SELECT is(pg_temp.error_of($$CREATE INDEX ON one_dim USING ivfflat (v vector_cosine_ops)$$),
	'22023: dimensions must be greater than one for this opclass', 'cosine on one dimension (as pgvector)');
SELECT lives_ok($$CREATE INDEX ON one_dim USING ivfflat (v vector_l2_ops)$$, 'l2 on one dimension is fine');
SET LOCAL maintenance_work_mem = '1MB';
SELECT is(pg_temp.error_of($$CREATE INDEX ON widest USING ivfflat (v) WITH (lists = 500)$$),
	'54000: memory required is 7 MB, maintenance_work_mem is 1 MB', 'the sample (291 rows: one heap page''s worth) and the 500 centres must fit maintenance_work_mem');

SELECT * FROM finish();
ROLLBACK;
