-- ivfflat on bit (bit_hamming_ops): used by the planner, the exact answer when every list is
-- probed, recall with one probe on clustered bit strings (k-means with majority-vote centres
-- must find the clusters), rows inserted after the build, VACUUM, iterative scans, NULLs, an
-- empty table, and the limits and errors (pgvector's messages). Not in a transaction block
-- (VACUUM cannot run in one); the temporary tables and functions go with the session.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(26);
\ir lib/helpers.sql

-- 20 random 64-bit cluster centres; 4,000 points and 20 queries, each a centre with every bit
-- flipped with probability 0.1 (about 6 bits from its centre, about 32 from any other).
SELECT setseed(0.125);
CREATE TEMP TABLE centres AS
	SELECT c, (SELECT string_agg(CASE WHEN random() < 0.5 THEN '1' ELSE '0' END, '') FROM generate_series(1, 64 + 0 * c)) AS bits
	FROM generate_series(1, 20) AS c;
CREATE FUNCTION pg_temp.near(bits text) RETURNS bit(64) LANGUAGE sql VOLATILE AS $$
	SELECT string_agg(CASE WHEN random() < 0.1 THEN (1 - substr(bits, d, 1)::int)::text ELSE substr(bits, d, 1) END, '' ORDER BY d)::bit(64)
	FROM generate_series(1, 64) AS d
$$;
CREATE TEMP TABLE pts AS
	SELECT i AS id, pg_temp.near(bits)::bit(64) AS v FROM generate_series(1, 4000) AS i JOIN centres ON c = 1 + i % 20;
CREATE TEMP TABLE qs AS
	SELECT i AS id, pg_temp.near(bits)::bit(64) AS v FROM generate_series(1, 20) AS i JOIN centres ON c = i;

-- The distances of the 10 nearest per query (many rows share a distance, so distances, not ids).
CREATE FUNCTION pg_temp.top_dists() RETURNS TABLE (qid int, dists float8[]) LANGUAGE sql AS $$
	SELECT q.id, array(SELECT p.v <~> q.v FROM pts AS p ORDER BY p.v <~> q.v LIMIT 10) FROM qs AS q ORDER BY q.id
$$;
CREATE FUNCTION pg_temp.exact_dists() RETURNS TABLE (qid int, dists float8[]) LANGUAGE plpgsql AS $$
BEGIN
	SET LOCAL enable_indexscan = off;
	SET LOCAL enable_seqscan = on;
	RETURN QUERY SELECT * FROM pg_temp.top_dists();
END
$$;
-- Recall: how many of the index's 10 rows per query are no farther than the exact 10th (of 200).
CREATE FUNCTION pg_temp.hits() RETURNS bigint LANGUAGE sql AS $$
	SELECT sum((SELECT count(*) FROM unnest(a.dists) AS d WHERE d <= e.dists[10]))
	FROM pg_temp.top_dists() AS a JOIN pg_temp.exact_dists() AS e USING (qid)
$$;
CREATE FUNCTION pg_temp.same_as_exact() RETURNS bool LANGUAGE sql AS $$
	SELECT bool_and(a.dists = e.dists) AND count(*) = 20
	FROM pg_temp.top_dists() AS a JOIN pg_temp.exact_dists() AS e USING (qid)
$$;
-- How many rows a scan of every list returns, and how many distinct ones.
CREATE FUNCTION pg_temp.full_scan_counts() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	result text;
BEGIN
	SET LOCAL ivfflat.probes = 32768;
	SELECT count(*) || ' ' || count(DISTINCT id) INTO result
	FROM (SELECT id FROM pts ORDER BY v <~> (SELECT v FROM qs LIMIT 1) LIMIT 100000) s;
	RETURN result;
END
$$;
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

-- The operator class ------------------------------------------------------------------------------
CREATE INDEX pts_v ON pts USING ivfflat (v bit_hamming_ops) WITH (lists = 20);
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <~> (SELECT v FROM qs LIMIT 1) LIMIT 5$$),
	'Index Scan using pts_v', 'ORDER BY v <~> q LIMIT k uses the bit_hamming_ops index');
SET enable_seqscan = off;
SET ivfflat.probes = 20;
SELECT is(pg_temp.same_as_exact(), true, 'probes = lists: the exact 10 nearest by Hamming distance, nearest first');
SET ivfflat.probes = 1;
SELECT cmp_ok(pg_temp.hits(), '>=', 190::bigint,
	'probes = 1: at least 95% of the exact 10 nearest (k-means'' majority-vote centres find the 20 clusters)');
SELECT is((SELECT min(n) > 100 AND max(n) < 400 FROM qs AS q, LATERAL (SELECT count(*) AS n FROM (SELECT 1 FROM pts ORDER BY v <~> q.v) s) AS c), true,
	'a probe reads one list: about one cluster''s 200 rows of the 4,000 (the centres split the rows)');
SELECT is((SELECT count(*) FROM pts AS p WHERE (SELECT v <~> p.v FROM pts ORDER BY v <~> p.v LIMIT 1) = 0), 4000::bigint,
	'with one probe every row''s own bits find a row at distance 0 (each row is in its nearest centre''s list)');
-- 40 lists for 20 clusters: k-means splits clusters, so one probe misses more.
CREATE INDEX pts_v40 ON pts USING ivfflat (v bit_hamming_ops) WITH (lists = 40);
DROP INDEX pts_v;
SET ivfflat.probes = 4;
SELECT cmp_ok(pg_temp.hits(), '>=', 190::bigint, '40 lists, probes = 4: at least 95% of them');
DROP INDEX pts_v40;
CREATE INDEX pts_v ON pts USING ivfflat (v bit_hamming_ops) WITH (lists = 20);

SELECT is(pg_temp.error_of($$CREATE INDEX ON pts USING ivfflat (v)$$),
	'42704: data type bit has no default operator class for access method "ivfflat"', 'bit_hamming_ops is not the default (as in pgvector)');
SELECT is(pg_temp.error_of($$CREATE INDEX ON pts USING ivfflat (v bit_jaccard_ops)$$),
	'42704: operator class "bit_jaccard_ops" does not exist for access method "ivfflat"', 'there is no Jaccard operator class (as in pgvector)');

-- Changes after the build, VACUUM --------------------------------------------------------------------
SET ivfflat.probes = 1;
INSERT INTO pts SELECT 5000 + i, pg_temp.near(bits) FROM generate_series(1, 2000) AS i JOIN centres ON c = 1 + i % 20;
SELECT is((SELECT count(*) FROM pts AS p WHERE p.id > 5000 AND (SELECT v <~> p.v FROM pts ORDER BY v <~> p.v LIMIT 1) = 0), 2000::bigint,
	'2,000 rows inserted after the build are each found at distance 0 by their own bits with one probe');
SELECT is(pg_temp.full_scan_counts(), '6000 6000', 'probing every list returns every row once');
CREATE TEMP TABLE sizes AS SELECT pg_relation_size('pts_v') AS bytes;
DELETE FROM pts WHERE id % 40 < 20;	-- half of every cluster
VACUUM pts;
SELECT is(pg_temp.full_scan_counts(), '3000 3000', 'after DELETE and VACUUM the remaining rows come back once each');
INSERT INTO pts SELECT 8000 + i, pg_temp.near(bits) FROM generate_series(1, 3000) AS i JOIN centres ON c = 1 + i % 20;
SELECT is(pg_temp.full_scan_counts(), '6000 6000', 'rows inserted after VACUUM: every row once');
SELECT cmp_ok(pg_relation_size('pts_v'), '<=', (SELECT bytes * 11 / 10 FROM sizes),
	'the new entries reuse the room VACUUM freed (index grew less than 10%)');

-- Iterative scans --------------------------------------------------------------------------------------
SET ivfflat.probes = 1;
SELECT cmp_ok((SELECT count(*) FROM (SELECT id FROM pts WHERE id % 20 = 3 ORDER BY v <~> (SELECT v FROM qs WHERE id = 1) LIMIT 10) s), '<', 10::bigint,
	'iterative_scan off: one list (a cluster other than the filter''s), so fewer rows than the LIMIT');
SET ivfflat.iterative_scan = relaxed_order;
SELECT is((SELECT count(*) FROM (SELECT id FROM pts WHERE id % 20 = 3 ORDER BY v <~> (SELECT v FROM qs WHERE id = 1) LIMIT 10) s), 10::bigint,
	'relaxed_order: the scan probes more lists until the LIMIT is met');
SELECT is((SELECT count(*) FROM (SELECT id FROM pts WHERE id % 20 = 3 ORDER BY v <~> (SELECT v FROM qs WHERE id = 1)) s),
	(SELECT count(*) FROM pts WHERE id % 20 = 3), 'relaxed_order without a LIMIT reaches every matching row');
RESET ivfflat.iterative_scan;

-- NULLs, zeros, queries, an empty table ---------------------------------------------------------------
CREATE TEMP TABLE t (val bit(3));
INSERT INTO t (val) VALUES (B'000'), (B'100'), (B'111'), (NULL);
CREATE INDEX t_val ON t USING ivfflat (val bit_hamming_ops) WITH (lists = 1);
SELECT is(array(SELECT val::text FROM t ORDER BY val <~> B'110'), ARRAY['100', '111', '000'],
	'all-zero strings are indexed, NULLs are not; nearest first');
SELECT is((SELECT count(*) FROM (SELECT * FROM t ORDER BY val <~> (SELECT NULL::bit)) s), 3::bigint, 'a NULL query returns the indexed rows');
SELECT is(pg_temp.error_of($$SELECT * FROM t ORDER BY val <~> B'11' LIMIT 1$$),
	'22000: different bit lengths 3 and 2', 'a query of another length is the distance function''s error');

CREATE TEMP TABLE empty (id int, v bit(16));
CREATE INDEX empty_v ON empty USING ivfflat (v bit_hamming_ops) WITH (lists = 5);
SELECT is((SELECT count(*) FROM (SELECT * FROM empty ORDER BY v <~> B'0000000011111111' LIMIT 5) s), 0::bigint, 'an index built on an empty table returns nothing');
INSERT INTO empty SELECT i, i::bit(16) FROM generate_series(0, 999) AS i;
SET ivfflat.probes = 5;
SELECT is((SELECT count(*) FROM (SELECT * FROM empty ORDER BY v <~> B'0000000011111111') s), 1000::bigint,
	'rows inserted into it are all found with probes = lists (its centres are random bit strings)');
SET ivfflat.probes = 1;
SELECT is((SELECT count(*) FROM empty AS e WHERE (SELECT id FROM empty ORDER BY v <~> e.v LIMIT 1) = e.id), 1000::bigint,
	'and each is found first by its own bits with one probe');

-- Limits -------------------------------------------------------------------------------------------------
CREATE TEMP TABLE vb (val varbit(3));
SELECT is(pg_temp.error_of($$CREATE INDEX ON vb USING ivfflat (val bit_hamming_ops) WITH (lists = 1)$$),
	'0A000: type not supported for ivfflat index', 'a varbit column is not supported (as in pgvector)');
SELECT is(pg_temp.error_of($$CREATE INDEX ON vb USING ivfflat ((val::bit(64001)) bit_hamming_ops) WITH (lists = 1)$$),
	'54000: column cannot have more than 64000 dimensions for ivfflat index', 'more than 64,000 bits');
CREATE TEMP TABLE widest (v bit(64000));
INSERT INTO widest SELECT repeat(b, 64000)::bit(64000) FROM (VALUES ('0'), ('1')) AS x(b);
INSERT INTO widest SELECT (repeat('1', 40000) || repeat('0', 24000))::bit(64000);
SELECT lives_ok($$CREATE INDEX widest_v ON widest USING ivfflat (v bit_hamming_ops) WITH (lists = 2)$$, '64,000 bits are fine');
SET ivfflat.probes = 2;
SELECT is(array(SELECT bit_count(v) FROM widest ORDER BY v <~> (repeat('1', 30000) || repeat('0', 34000))::bit(64000)), ARRAY[40000::bigint, 0, 64000],
	'and searchable, nearest first');

RESET enable_seqscan;
RESET ivfflat.probes;
SELECT * FROM finish();
