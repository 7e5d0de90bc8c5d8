-- ivfflat on halfvec: the three operator classes (halfvec_l2_ops, halfvec_ip_ops,
-- halfvec_cosine_ops) are used by the planner and agree with exact search when every list is
-- probed; recall with fewer probes on deterministic data; entries stored as halves; rows
-- inserted after the build; VACUUM; iterative scans; the limits and errors (pgvector's
-- messages). Not in a transaction block (VACUUM cannot run in one); the temporary tables and
-- functions go with the session.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(33);
\ir lib/helpers.sql

-- 3,000 pseudo-random 8-dimensional points and 20 queries (fixed seed).
SELECT setseed(0.25);
CREATE TEMP TABLE pts AS
	SELECT i AS id, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 8))::halfvec(8) AS v
	FROM generate_series(1, 3000) AS i;
CREATE TEMP TABLE qs AS
	SELECT i AS id, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 8))::halfvec(8) AS v
	FROM generate_series(1, 20) AS i;

-- The distances of the 10 nearest per query by `v <op> q`, through whatever plan is enabled
-- (distances, not ids: rows at equal distances may come in any order).
CREATE FUNCTION pg_temp.top_dists(op text) RETURNS TABLE (qid int, dists float8[]) LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format(
		'SELECT q.id, array(SELECT p.v %1$s q.v FROM pts AS p ORDER BY p.v %1$s q.v LIMIT 10) FROM qs AS q ORDER BY q.id', op);
END
$$;
-- The exact answer, by a sequential scan and a sort.
CREATE FUNCTION pg_temp.exact_dists(op text) RETURNS TABLE (qid int, dists float8[]) LANGUAGE plpgsql AS $$
BEGIN
	SET LOCAL enable_indexscan = off;
	SET LOCAL enable_seqscan = on;
	RETURN QUERY SELECT * FROM pg_temp.top_dists(op);
END
$$;
-- Recall: how many of the index's 10 rows per query are no farther than the exact 10th (of 200).
CREATE FUNCTION pg_temp.hits(op text) RETURNS bigint LANGUAGE sql AS $$
	SELECT sum((SELECT count(*) FROM unnest(a.dists) AS d WHERE d <= e.dists[10]))
	FROM pg_temp.top_dists(op) AS a JOIN pg_temp.exact_dists(op) AS e USING (qid)
$$;
-- Whether the index gives exactly the exact distances, nearest first, for every query.
CREATE FUNCTION pg_temp.same_as_exact(op text) RETURNS bool LANGUAGE sql AS $$
	SELECT bool_and(a.dists = e.dists) AND count(*) = 20
	FROM pg_temp.top_dists(op) AS a JOIN pg_temp.exact_dists(op) AS e USING (qid)
$$;
-- The same rows (distances), in any order.
CREATE FUNCTION pg_temp.same_rows_as_exact(op text) RETURNS bool LANGUAGE sql AS $$
	SELECT bool_and(array(SELECT unnest(a.dists) ORDER BY 1) = e.dists) AND count(*) = 20
	FROM pg_temp.top_dists(op) AS a JOIN pg_temp.exact_dists(op) AS e USING (qid)
$$;
-- The SQLSTATE and message an SQL statement fails with.
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	state text;
	msg text;
BEGIN
	EXECUTE stmt;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	RETURN state || ': ' || msg;
END
$$;

-- The three operator classes ----------------------------------------------------------------------
CREATE INDEX pts_l2 ON pts USING ivfflat (v halfvec_l2_ops) WITH (lists = 30);
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 5$$),
	'Index Scan using pts_l2', 'ORDER BY v <-> q LIMIT k uses the halfvec_l2_ops index');
SET enable_seqscan = off;
SET ivfflat.probes = 30;
SELECT is(pg_temp.same_as_exact('<->'), true, 'probes = lists: halfvec_l2_ops gives the exact 10 nearest by <->, nearest first');
SET ivfflat.probes = 10;
SELECT cmp_ok(pg_temp.hits('<->'), '>=', 180::bigint, 'probes = lists / 3: at least 90% of the exact 10 nearest');
SET ivfflat.probes = 1;
SELECT cmp_ok(pg_temp.hits('<->'), '>=', 60::bigint, 'probes = 1: at least 30% of them (uniform 8-d data, 30 lists)');
SELECT is((SELECT min(n) > 0 AND max(n) < 400 FROM qs AS q, LATERAL (SELECT count(*) AS n FROM (SELECT 1 FROM pts ORDER BY v <-> q.v) s) AS c), true,
	'a probe reads one list: about 100 rows of the 3,000 (the centres split the rows)');
SELECT is((SELECT count(*) FROM pts AS p WHERE (SELECT v <-> p.v FROM pts ORDER BY v <-> p.v LIMIT 1) = 0), 3000::bigint,
	'with one probe every row''s own vector finds a row at distance 0 (each row is in its nearest centre''s list)');
DROP INDEX pts_l2;

SET ivfflat.probes = 20;
CREATE INDEX pts_ip ON pts USING ivfflat (v halfvec_ip_ops) WITH (lists = 20);
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <#> '[1,0,0,0,0,0,0,0]' LIMIT 5$$),
	'Index Scan using pts_ip', 'ORDER BY v <#> q uses the halfvec_ip_ops index');
SELECT is(pg_temp.same_as_exact('<#>'), true, 'probes = lists: halfvec_ip_ops gives the exact 10 nearest by <#>');
SET ivfflat.probes = 5;
SELECT cmp_ok(pg_temp.hits('<#>'), '>=', 150::bigint, 'probes = lists / 4: at least 75% of them');
DROP INDEX pts_ip;

SET ivfflat.probes = 20;
CREATE INDEX pts_cos ON pts USING ivfflat (v halfvec_cosine_ops) WITH (lists = 20);
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <=> '[1,0,0,0,0,0,0,0]' LIMIT 5$$),
	'Index Scan using pts_cos', 'ORDER BY v <=> q uses the halfvec_cosine_ops index');
-- The index ranks by the inner product of the unit vectors stored as halves, so two rows whose
-- cosine distances differ by about 1e-4 (the halves' rounding) may come back swapped.
SELECT is(pg_temp.same_rows_as_exact('<=>'), true, 'probes = lists: halfvec_cosine_ops gives the exact 10 nearest by <=>');
SET ivfflat.probes = 5;
SELECT cmp_ok(pg_temp.hits('<=>'), '>=', 150::bigint, 'probes = lists / 4: at least 75% of them');
SELECT is(array(SELECT id FROM pts ORDER BY v <=> (SELECT array_agg(x * 4)::halfvec(8) FROM unnest((SELECT v FROM pts WHERE id = 7)::real[]) AS x) LIMIT 1), ARRAY[7],
	'cosine: a scaled copy of a row''s vector finds that row first (values are normalised)');
DROP INDEX pts_cos;

SELECT is(pg_temp.error_of($$CREATE INDEX ON pts USING ivfflat (v)$$),
	'42704: data type halfvec has no default operator class for access method "ivfflat"',
	'no halfvec operator class is the default (as in pgvector)');
SELECT is(pg_temp.error_of($$CREATE INDEX ON pts USING ivfflat (v halfvec_l1_ops)$$),
	'42704: operator class "halfvec_l1_ops" does not exist for access method "ivfflat"', 'there is no L1 operator class (as in pgvector)');

-- Entries and centres are stored as halves: the same rows take fewer pages than as vector.
CREATE TEMP TABLE pts_vec AS SELECT id, v::vector(8) AS v FROM pts;
CREATE INDEX pts_vec_l2 ON pts_vec USING ivfflat (v vector_l2_ops) WITH (lists = 1);
CREATE INDEX pts_half_one ON pts USING ivfflat (v halfvec_l2_ops) WITH (lists = 1);
SELECT cmp_ok(pg_relation_size('pts_half_one'), '<', pg_relation_size('pts_vec_l2') * 3 / 4,
	'a halfvec index is smaller than the vector index of the same rows (2-byte elements)');
DROP TABLE pts_vec;
DROP INDEX pts_half_one;
CREATE INDEX pts_half_l2 ON pts USING ivfflat (v halfvec_l2_ops) WITH (lists = 10);

-- Changes after the build, VACUUM --------------------------------------------------------------------
SET ivfflat.probes = 1;
INSERT INTO pts VALUES (5001, '[5,5,5,5,5,5,5,5]'), (5002, '[5,5,5,5,5,5,5,5.1]');
SELECT is(array(SELECT id FROM pts ORDER BY v <-> '[5,5,5,5,5,5,5,5]' LIMIT 2), ARRAY[5001, 5002], 'rows inserted after the build are found');
INSERT INTO pts SELECT 6000 + i, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 8))::halfvec(8) FROM generate_series(1, 2000) AS i;
SELECT is((SELECT count(*) FROM pts AS p WHERE p.id > 6000 AND (SELECT v <-> p.v FROM pts ORDER BY v <-> p.v LIMIT 1) = 0), 2000::bigint,
	'2,000 rows inserted after the build are each found at distance 0 by their own vector with one probe');
SET ivfflat.probes = 10;
SELECT is((SELECT count(*) || ' ' || count(DISTINCT id) FROM (SELECT id FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 100000) s),
	(SELECT count(*) || ' ' || count(*) FROM pts), 'probing every list returns every row once');
CREATE TEMP TABLE sizes AS SELECT pg_relation_size('pts_half_l2') AS bytes;
DELETE FROM pts WHERE id % 2 = 0;
VACUUM pts;
SELECT is((SELECT count(*) || ' ' || count(DISTINCT id) FROM (SELECT id FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 100000) s),
	(SELECT count(*) || ' ' || count(*) FROM pts), 'after DELETE and VACUUM every remaining row comes back once, no deleted one');
INSERT INTO pts SELECT 9000 + i, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 8))::halfvec(8) FROM generate_series(1, 2000) AS i;
SELECT is((SELECT count(*) || ' ' || count(DISTINCT id) FROM (SELECT id FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 100000) s),
	(SELECT count(*) || ' ' || count(*) FROM pts), 'rows inserted after VACUUM: every row once');
SELECT cmp_ok(pg_relation_size('pts_half_l2'), '<=', (SELECT bytes * 11 / 10 FROM sizes),
	'the new entries reuse the room VACUUM freed (index grew less than 10%)');

-- Iterative scans --------------------------------------------------------------------------------------
SET ivfflat.probes = 1;
SELECT cmp_ok((SELECT count(*) FROM (SELECT id FROM pts WHERE id % 100 = 1 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10) s), '<', 10::bigint,
	'iterative_scan off: one list, so a selective filter leaves fewer rows than the LIMIT');
SET ivfflat.iterative_scan = relaxed_order;
SELECT is((SELECT count(*) FROM (SELECT id FROM pts WHERE id % 100 = 1 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10) s), 10::bigint,
	'relaxed_order: the scan probes more lists until the LIMIT is met');
SELECT is((SELECT count(*) FROM (SELECT id FROM pts WHERE id % 100 = 1 ORDER BY v <-> '[0,0,0,0,0,0,0,0]') s), (SELECT count(*) FROM pts WHERE id % 100 = 1),
	'relaxed_order without a LIMIT reaches every matching row');
RESET ivfflat.iterative_scan;

-- NULLs, zero vectors, queries -------------------------------------------------------------------------
CREATE TEMP TABLE t (val halfvec(3));
INSERT INTO t (val) VALUES ('[0,0,0]'), ('[1,2,3]'), ('[1,1,1]'), (NULL);
CREATE INDEX t_cos ON t USING ivfflat (val halfvec_cosine_ops) WITH (lists = 1);
SELECT is(array(SELECT val::text FROM t ORDER BY val <=> '[3,3,3]'), ARRAY['[1,1,1]', '[1,2,3]'],
	'cosine: NULLs and zero vectors are not indexed');
SELECT is((SELECT count(*) FROM (SELECT * FROM t ORDER BY val <=> (SELECT NULL::halfvec)) s), 2::bigint, 'a NULL query returns the indexed rows');
SELECT is(pg_temp.error_of($$SELECT * FROM t ORDER BY val <=> '[1,2]' LIMIT 1$$),
	'22000: different halfvec dimensions 3 and 2', 'a query of other dimensions is the distance functions'' error');

-- Limits -------------------------------------------------------------------------------------------------
CREATE TEMP TABLE wide (v halfvec(4001));
SELECT is(pg_temp.error_of($$CREATE INDEX ON wide USING ivfflat (v halfvec_l2_ops)$$),
	'54000: column cannot have more than 4000 dimensions for ivfflat index', 'more than 4,000 dimensions');
CREATE TEMP TABLE widest (v halfvec(4000));
INSERT INTO widest SELECT array_fill(i, ARRAY[4000])::halfvec(4000) FROM generate_series(1, 3) AS i;
SELECT lives_ok($$CREATE INDEX widest_v ON widest USING ivfflat (v halfvec_l2_ops) WITH (lists = 2)$$, '4,000 dimensions are fine');
SELECT is(array(SELECT v[1] FROM (SELECT v::real[] AS v FROM widest ORDER BY v <-> array_fill(2.9, ARRAY[4000])::halfvec(4000) LIMIT 1) s), ARRAY[3::real],
	'and searchable');
CREATE TEMP TABLE nodims (v halfvec);
SELECT is(pg_temp.error_of($$CREATE INDEX ON nodims USING ivfflat (v halfvec_l2_ops)$$), '22023: column does not have dimensions', 'a column without dimensions');
CREATE TEMP TABLE one_dim (v halfvec(1));
SELECT is(pg_temp.error_of($$CREATE INDEX ON one_dim USING ivfflat (v halfvec_ip_ops)$$),
	'22023: dimensions must be greater than one for this opclass', 'inner product on one dimension (as pgvector)');

RESET enable_seqscan;
RESET ivfflat.probes;
SELECT * FROM finish();
