-- hnsw on halfvec: its four operator classes agree with exact search, inserts after the build,
-- VACUUM, 4,000-dimension nodes (element and neighbour tuples), the 4,000-dimension limit and
-- a query of other dimensions. Not in one transaction: VACUUM cannot run inside one (the
-- tables are temporary, gone with the session).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(17);
\ir lib/helpers.sql

-- 1,000 pseudo-random 8-dimensional points (fixed seed), 20 queries.
SELECT setseed(0.25);
CREATE TEMP TABLE pts AS
	SELECT i AS id, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 8))::halfvec(8) AS v
	FROM generate_series(1, 1000) AS i;
CREATE TEMP TABLE qs AS
	SELECT i AS id, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 8))::halfvec(8) AS v
	FROM generate_series(1, 20) AS i;

CREATE INDEX pts_l2 ON pts USING hnsw (v halfvec_l2_ops);
SET enable_seqscan = off;
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 5$$),
	'Index Scan using pts_l2', 'ORDER BY v <-> q uses the halfvec_l2_ops index');
SET hnsw.ef_search = 1000;
SELECT is(array(SELECT id FROM pts ORDER BY v <-> (SELECT v FROM qs WHERE id = 1) LIMIT 20),
	(SELECT array(SELECT id FROM (SELECT id, v <-> (SELECT v FROM qs WHERE id = 1) AS d FROM pts) s ORDER BY d, id LIMIT 20)),
	'with ef_search above the row count the index returns exactly the 20 nearest by <->, in order');
RESET hnsw.ef_search;
RESET enable_seqscan;
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<->'), '>=', 196::bigint, 'halfvec_l2_ops finds the exact 10 nearest (>= 98%)');
DROP INDEX pts_l2;

CREATE INDEX pts_ip ON pts USING hnsw (v halfvec_ip_ops);
SET enable_seqscan = off;
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <#> '[1,0,0,0,0,0,0,0]' LIMIT 5$$),
	'Index Scan using pts_ip', 'ORDER BY v <#> q uses the halfvec_ip_ops index');
RESET enable_seqscan;
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<#>'), '>=', 190::bigint, 'halfvec_ip_ops finds the exact 10 nearest (>= 95%)');
DROP INDEX pts_ip;

CREATE INDEX pts_cos ON pts USING hnsw (v halfvec_cosine_ops);
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<=>'), '>=', 196::bigint, 'halfvec_cosine_ops finds the exact 10 nearest (>= 98%)');
DROP INDEX pts_cos;

CREATE INDEX pts_l1 ON pts USING hnsw (v halfvec_l1_ops) WITH (m = 8, ef_construction = 32);
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<+>'), '>=', 196::bigint, 'halfvec_l1_ops finds the exact 10 nearest (>= 98%)');

-- inserts after the build, then VACUUM
INSERT INTO pts SELECT 1000 + i, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 8))::halfvec(8)
	FROM generate_series(1, 500) AS i;
SELECT results_eq($$SELECT nodes, wrong_distances, dangling FROM hnsw_link_check('pts_l1')$$,
	$$VALUES (1500::bigint, 0::bigint, 0::bigint)$$, '500 inserted rows are linked, every slot right');
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<+>'), '>=', 196::bigint, 'after the inserts the index agrees with exact search');
DELETE FROM pts WHERE id % 3 = 0;
VACUUM pts;
SELECT results_eq($$SELECT nodes, wrong_distances, dangling FROM hnsw_link_check('pts_l1')$$,
	$$VALUES (1000::bigint, 0::bigint, 0::bigint)$$, 'VACUUM removes the 500 deleted nodes, no slot points at them');
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<+>'), '>=', 196::bigint, 'after VACUUM the index agrees with exact search');

-- 4,000 dimensions: 8,000 bytes of halves, the slots in a neighbour tuple
SELECT setseed(0.75);
CREATE TEMP TABLE big AS
	SELECT i AS id, array(SELECT random() - 0.5 + 0 * i FROM generate_series(1, 4000))::halfvec(4000) AS v
	FROM generate_series(1, 150) AS i;
SELECT lives_ok($$CREATE INDEX big_v ON big USING hnsw (v halfvec_l2_ops)$$, 'an hnsw index on halfvec(4000) builds');
INSERT INTO big SELECT i, array(SELECT random() - 0.5 + 0 * i FROM generate_series(1, 4000))::halfvec(4000)
	FROM generate_series(151, 200) AS i;
SELECT results_eq($$SELECT nodes, wrong_distances, dangling, split_nodes, neighbour_tuples FROM hnsw_link_check('big_v')$$,
	$$VALUES (200::bigint, 0::bigint, 0::bigint, 200::bigint, 200::bigint)$$,
	'built and inserted 4,000-dimension nodes each keep their slots in a neighbour tuple, every slot right');
SET enable_seqscan = off;
SELECT is(array(SELECT id FROM big ORDER BY v <-> (SELECT v FROM big WHERE id = b) LIMIT 1), ARRAY[b],
	'4,000-dimension vectors (built and inserted) find themselves first')
	FROM (VALUES (17), (177)) AS t(b) LIMIT 1;
RESET enable_seqscan;

-- limits and errors
CREATE TEMP TABLE huge (v halfvec(4001), w halfvec);
SELECT throws_ok($$CREATE INDEX ON huge USING hnsw (v halfvec_l2_ops)$$, '54000',
	'column cannot have more than 4000 dimensions for hnsw index', '4,001 dimensions are refused with pgvector''s error');
SELECT throws_ok($$CREATE INDEX ON huge USING hnsw (w halfvec_l2_ops)$$, '22023',
	'column does not have dimensions', 'a column without dimensions is refused');
SET enable_seqscan = off;
SELECT throws_ok($$SELECT id FROM pts ORDER BY v <+> '[1,2,3]' LIMIT 1$$, '22000',
	'different halfvec dimensions 8 and 3', 'a query of other dimensions is refused');
RESET enable_seqscan;

SELECT * FROM finish();
