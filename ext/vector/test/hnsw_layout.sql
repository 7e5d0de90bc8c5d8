-- The hnsw page layout for large nodes: 2,000-dimensional vectors at m = 16 (a node's vector
-- fills a page, its neighbour slots go to a neighbour tuple) through build, inserts, search and
-- VACUUM; m = 100 at 1,200 dimensions (level-0 nodes in one tuple, higher ones split); the
-- 2,001-dimension limit. Not in one transaction: VACUUM cannot run inside one (the tables are
-- temporary, gone with the session).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(20);

-- Clustered test data of any dimension: a centre uniform in [-0.5, 0.5) on each axis, a point
-- its centre plus uniform noise as large (not inlined: every call draws new numbers).
CREATE FUNCTION pg_temp.centre(dims int) RETURNS float8[] LANGUAGE sql VOLATILE AS $$
	SELECT array(SELECT random() - 0.5 FROM generate_series(1, dims))
$$;
CREATE FUNCTION pg_temp.near(centre float8[]) RETURNS float8[] LANGUAGE sql VOLATILE AS $$
	SELECT array(SELECT centre[d] + random() - 0.5 FROM generate_series(1, cardinality(centre)) AS d)
$$;

-- recall@10 of `ORDER BY v <-> q LIMIT 10` on table big through the index, against exact search
CREATE FUNCTION pg_temp.recall(tbl text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
	r float8;
BEGIN
	SET LOCAL enable_indexscan = off;
	EXECUTE format('CREATE TEMP TABLE exact_top AS SELECT q.id AS qid, e.id FROM %1$s_q AS q
		CROSS JOIN LATERAL (SELECT id FROM %1$s ORDER BY v <-> q.v LIMIT 10) AS e', tbl);
	SET LOCAL enable_indexscan = on;
	SET LOCAL enable_seqscan = off;
	EXECUTE format('SELECT count(*)::float8 / (SELECT count(*) FROM exact_top) FROM %1$s_q AS q
		CROSS JOIN LATERAL (SELECT id FROM %1$s ORDER BY v <-> q.v LIMIT 10) AS a
		JOIN exact_top AS e ON e.qid = q.id AND e.id = a.id', tbl) INTO r;
	DROP TABLE exact_top;
	RETURN r;
END
$$;

-- 2,000 dimensions, m = 16 ------------------------------------------------------------------
SELECT setseed(0.125);
CREATE TEMP TABLE big_c AS SELECT c, pg_temp.centre(2000) AS x FROM generate_series(1, 20) AS c;
CREATE TEMP TABLE big AS
	SELECT i AS id, pg_temp.near(x)::vector(2000) AS v
	FROM generate_series(1, 400) AS i JOIN big_c ON c = 1 + i % 20;
CREATE TEMP TABLE big_q AS
	SELECT i AS id, pg_temp.near(x)::vector(2000) AS v
	FROM generate_series(1, 20) AS i JOIN big_c ON c = 1 + (i * 7) % 20;

SELECT lives_ok($$CREATE INDEX big_v ON big USING hnsw (v vector_l2_ops) WITH (m = 16)$$,
	'an hnsw index on vector(2000) at m = 16 builds');
SELECT results_eq($$SELECT nodes, wrong_distances, dangling, split_nodes, neighbour_tuples FROM hnsw_link_check('big_v')$$,
	$$VALUES (400::bigint, 0::bigint, 0::bigint, 400::bigint, 400::bigint)$$,
	'every 2,000-dimension node keeps its slots in a neighbour tuple, every slot right');
SELECT cmp_ok((SELECT links FROM hnsw_link_check('big_v')), '>=', 400::bigint * 16,
	'the built nodes are linked (at least m slots used per node on average)');
SELECT cmp_ok(pg_temp.recall('big'), '>=', 0.95::float8, 'recall@10 of the built index is at least 0.95');
SET enable_seqscan = off;
SELECT is((SELECT id FROM big ORDER BY v <-> (SELECT v FROM big WHERE id = 123) LIMIT 1), 123,
	'a stored vector finds itself first');
RESET enable_seqscan;

INSERT INTO big SELECT i, pg_temp.near(x)::vector(2000) FROM generate_series(401, 600) AS i JOIN big_c ON c = 1 + i % 20;
SELECT results_eq($$SELECT nodes, wrong_distances, dangling, split_nodes, neighbour_tuples FROM hnsw_link_check('big_v')$$,
	$$VALUES (600::bigint, 0::bigint, 0::bigint, 600::bigint, 600::bigint)$$,
	'200 single-row inserts of 2,000-dimension vectors: 600 split nodes, every slot right');
SELECT cmp_ok(pg_temp.recall('big'), '>=', 0.95::float8, 'recall@10 after the inserts is at least 0.95');
SET enable_seqscan = off;
SELECT is((SELECT id FROM big ORDER BY v <-> (SELECT v FROM big WHERE id = 555) LIMIT 1), 555,
	'an inserted vector finds itself first');
RESET enable_seqscan;

DELETE FROM big WHERE id % 3 = 0;
VACUUM big;
SELECT results_eq($$SELECT nodes, wrong_distances, dangling, split_nodes, neighbour_tuples FROM hnsw_link_check('big_v')$$,
	$$VALUES (400::bigint, 0::bigint, 0::bigint, 400::bigint, 400::bigint)$$,
	'VACUUM removes the 200 deleted nodes and their neighbour tuples, no slot points at them');
SELECT cmp_ok(pg_temp.recall('big'), '>=', 0.95::float8, 'recall@10 after VACUUM is at least 0.95');
SET enable_seqscan = off;
SELECT is((SELECT count(*) FROM (SELECT id FROM big ORDER BY v <-> (SELECT v FROM big_q WHERE id = 1) LIMIT 400) AS s WHERE id % 3 = 0),
	0::bigint, 'no deleted row comes back from the index');
RESET enable_seqscan;
CREATE TEMP TABLE big_size AS SELECT pg_relation_size('big_v') / 8192 AS blocks;
INSERT INTO big SELECT i, pg_temp.near(x)::vector(2000) FROM generate_series(601, 700) AS i JOIN big_c ON c = 1 + i % 20;
SELECT cmp_ok((SELECT pg_relation_size('big_v') / 8192 - blocks FROM big_size), '<', 50::bigint,
	'100 inserts after VACUUM reuse the freed pages (the index grows by fewer than 50 of the 100 pages their vectors fill)');
SELECT results_eq($$SELECT nodes, wrong_distances, dangling, neighbour_tuples FROM hnsw_link_check('big_v')$$,
	$$VALUES (500::bigint, 0::bigint, 0::bigint, 500::bigint)$$,
	'the nodes inserted into freed space are linked right');

SELECT lives_ok($$REINDEX INDEX big_v$$, 'REINDEX of the 2,000-dimension index works');
SELECT is((SELECT nodes FROM hnsw_link_check('big_v')), 500::bigint, 'the rebuilt index has every row');

-- 1,200 dimensions, m = 100: level-0 nodes fit one tuple, higher ones are split ----------------
SELECT setseed(0.375);
CREATE TEMP TABLE mid_c AS SELECT c, pg_temp.centre(1200) AS x FROM generate_series(1, 20) AS c;
CREATE TEMP TABLE mid AS
	SELECT i AS id, pg_temp.near(x)::vector(1200) AS v
	FROM generate_series(1, 1000) AS i JOIN mid_c ON c = 1 + i % 20;
CREATE TEMP TABLE mid_q AS
	SELECT i AS id, pg_temp.near(x)::vector(1200) AS v
	FROM generate_series(1, 20) AS i JOIN mid_c ON c = 1 + (i * 7) % 20;
SELECT lives_ok($$CREATE INDEX mid_v ON mid USING hnsw (v vector_l2_ops) WITH (m = 100, ef_construction = 200)$$,
	'an hnsw index on vector(1200) at m = 100 builds');
INSERT INTO mid SELECT i, pg_temp.near(x)::vector(1200) FROM generate_series(1001, 1200) AS i JOIN mid_c ON c = 1 + i % 20;
-- a node is above level 0 with probability 1/m: about 12 of 1,200 (none: probability 6e-6)
SELECT ok((SELECT split_nodes > 0 AND split_nodes < nodes FROM hnsw_link_check('mid_v')),
	'at m = 100 and 1,200 dimensions, level-0 nodes stay one tuple and higher ones are split');
SELECT results_eq($$SELECT nodes, wrong_distances, dangling, neighbour_tuples = split_nodes FROM hnsw_link_check('mid_v')$$,
	$$VALUES (1200::bigint, 0::bigint, 0::bigint, true)$$,
	'built and inserted nodes at m = 100 are linked right');
SELECT cmp_ok(pg_temp.recall('mid'), '>=', 0.95::float8, 'recall@10 at m = 100 is at least 0.95');

-- Limits ------------------------------------------------------------------------------------
CREATE TEMP TABLE huge (v vector(2001));
SELECT throws_ok($$CREATE INDEX ON huge USING hnsw (v vector_l2_ops)$$, '54000',
	'column cannot have more than 2000 dimensions for hnsw index',
	'2,001 dimensions are refused with pgvector''s error');

SELECT * FROM finish();
