-- hnsw built by single-row inserts: an index created on an empty table, then 10,000 clustered
-- 384-dimensional unit vectors inserted one row at a time (every row through the insert path,
-- which decides back-links from the distances its slots record), 100 queries from the same
-- clusters. A regular table, so the inserts write WAL as they would in use.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(7);
\ir lib/helpers.sql

SELECT setseed(0.5);
CREATE TEMP TABLE centers AS
	SELECT c, pg_temp.random_centre() AS x
	FROM generate_series(1, 50) AS c;
CREATE TABLE inserted (id int PRIMARY KEY, v vector(384));
CREATE INDEX inserted_v_idx ON inserted USING hnsw (v vector_cosine_ops);
INSERT INTO inserted
	SELECT i, pg_temp.point_near(x)
	FROM generate_series(1, 10000) AS i JOIN centers ON c = 1 + i % 50;
CREATE TEMP TABLE queries AS
	SELECT i AS id, pg_temp.point_near(x) AS v
	FROM generate_series(1, 100) AS i JOIN centers ON c = 1 + (i * 7) % 50;

SET LOCAL enable_indexscan = off;
CREATE TEMP TABLE exact AS
	SELECT q.id AS qid, e.id FROM queries AS q
	CROSS JOIN LATERAL (SELECT id FROM inserted ORDER BY v <=> q.v LIMIT 10) AS e;
SET LOCAL enable_indexscan = on;
SET LOCAL enable_seqscan = off;

SELECT matches(pg_temp.plan_of($$SELECT id FROM inserted ORDER BY v <=> (SELECT v FROM queries LIMIT 1) LIMIT 10$$),
	'Index Scan using inserted_v_idx', 'the queries run through the index');
SELECT cmp_ok(
	(SELECT count(*)::float8 / (SELECT count(*) FROM exact) FROM queries AS q
	 CROSS JOIN LATERAL (SELECT id FROM inserted ORDER BY v <=> q.v LIMIT 10) AS a
	 JOIN exact ON exact.qid = q.id AND exact.id = a.id),
	'>=', 0.95::float8, 'recall@10 is at least 0.95 at the default ef_search on an index built by inserts');

SET LOCAL hnsw.iterative_scan = relaxed_order;
SET LOCAL hnsw.max_scan_tuples = 2147483647;
SET LOCAL work_mem = '256MB';
SELECT results_eq(
	$$SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM inserted ORDER BY v <=> (SELECT v FROM queries LIMIT 1) LIMIT 100000) AS s$$,
	$$VALUES (10000::bigint, 10000::bigint)$$,
	'a full index scan reaches every inserted row once (no node left without a way in)');

SELECT is((SELECT wrong_distances FROM hnsw_link_check('inserted_v_idx')), 0::bigint,
	'every neighbour slot records the true distance between its two nodes');
SELECT is((SELECT dangling FROM hnsw_link_check('inserted_v_idx')), 0::bigint,
	'no neighbour slot points at a missing node');

-- identical vectors share a node (up to 10 rows) under cosine distance too, where a vector's
-- distance to itself is -1 rather than 0
INSERT INTO inserted SELECT 20000 + i, v FROM inserted, generate_series(1, 5) AS i WHERE id = 1;
SELECT is((SELECT nodes FROM hnsw_link_check('inserted_v_idx')), 10000::bigint,
	'five more copies of an indexed vector add no node');
SELECT results_eq(
	$$SELECT id FROM (SELECT id FROM inserted ORDER BY v <=> (SELECT v FROM inserted WHERE id = 1) LIMIT 6) AS s ORDER BY id$$,
	$$VALUES (1), (20001), (20002), (20003), (20004), (20005)$$,
	'and the index returns all six rows as the nearest to that vector');

SELECT * FROM finish();
ROLLBACK;
