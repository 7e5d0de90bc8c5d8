-- hnsw on sparsevec: its four operator classes agree with exact search; nodes of different
-- sizes in one index (a value of 1,000 non-zero elements is split into element and neighbour
-- tuple, a small one is not); inserts after the build, VACUUM, the 1,000 non-zero limit at
-- build and insert (not for a query). Not in one transaction: VACUUM cannot run inside one.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(16);
\ir lib/helpers.sql

-- A pseudo-random sparsevec(100000): each of the indices 1..100000 step 6,250 (16) present
-- with probability 0.6, its value uniform in [-1, 1) (fixed seed; the empty value is possible).
CREATE FUNCTION pg_temp.rand(n int) RETURNS sparsevec LANGUAGE sql VOLATILE AS $$
	SELECT ('{' || coalesce(string_agg(i || ':' || (random() * 2 - 1), ','), '') || '}/100000')::sparsevec
	FROM generate_series(1 + 0 * n, 100000, 6250) AS i WHERE random() < 0.6
$$;
SELECT setseed(0.5);
CREATE TEMP TABLE pts AS SELECT i AS id, pg_temp.rand(i)::sparsevec(100000) AS v FROM generate_series(1, 1000) AS i;
CREATE TEMP TABLE qs AS SELECT i AS id, pg_temp.rand(i)::sparsevec(100000) AS v FROM generate_series(1, 20) AS i;

CREATE INDEX pts_l2 ON pts USING hnsw (v sparsevec_l2_ops);
SET enable_seqscan = off;
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <-> (SELECT v FROM qs WHERE id = 1) LIMIT 5$$),
	'Index Scan using pts_l2', 'ORDER BY v <-> q uses the sparsevec_l2_ops index');
SET hnsw.ef_search = 1000;
SELECT is(array(SELECT id FROM pts ORDER BY v <-> (SELECT v FROM qs WHERE id = 1) LIMIT 20),
	(SELECT array(SELECT id FROM (SELECT id, v <-> (SELECT v FROM qs WHERE id = 1) AS d FROM pts) s ORDER BY d, id LIMIT 20)),
	'with ef_search above the row count the index returns exactly the 20 nearest by <->, in order');
RESET hnsw.ef_search;
RESET enable_seqscan;
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<->'), '>=', 196::bigint, 'sparsevec_l2_ops finds the exact 10 nearest (>= 98%)');
DROP INDEX pts_l2;
CREATE INDEX pts_ip ON pts USING hnsw (v sparsevec_ip_ops);
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<#>'), '>=', 190::bigint, 'sparsevec_ip_ops finds the exact 10 nearest (>= 95%)');
DROP INDEX pts_ip;
CREATE INDEX pts_cos ON pts USING hnsw (v sparsevec_cosine_ops);
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<=>'), '>=', 196::bigint, 'sparsevec_cosine_ops finds the exact 10 nearest (>= 98%)');
DROP INDEX pts_cos;
CREATE INDEX pts_l1 ON pts USING hnsw (v sparsevec_l1_ops);
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<+>'), '>=', 196::bigint, 'sparsevec_l1_ops finds the exact 10 nearest (>= 98%)');
DROP INDEX pts_l1;

-- Nodes of different sizes: 30 values of 1,000 non-zero elements among the small ones (the
-- 16 indices of the others, plus 984 elements of 0.001, so they are near them).
CREATE FUNCTION pg_temp.wide(n int) RETURNS sparsevec LANGUAGE sql VOLATILE AS $$
	SELECT ('{' || string_agg(e, ',') || '}/100000')::sparsevec FROM (
		SELECT i || ':' || (random() * 2 - 1) AS e FROM generate_series(1 + 0 * n, 100000, 6250) AS i
		UNION ALL SELECT j || ':0.001' FROM generate_series(2, 985) AS j) s
$$;
INSERT INTO pts SELECT 2000 + i, pg_temp.wide(i)::sparsevec(100000) FROM generate_series(1, 20) AS i;
CREATE INDEX pts_mixed ON pts USING hnsw (v sparsevec_l2_ops);
INSERT INTO pts SELECT 2000 + i, pg_temp.wide(i)::sparsevec(100000) FROM generate_series(21, 30) AS i;
INSERT INTO pts SELECT 1000 + i, pg_temp.rand(i)::sparsevec(100000) FROM generate_series(1, 200) AS i;
SELECT results_eq($$SELECT nodes, wrong_distances, dangling, split_nodes, neighbour_tuples FROM hnsw_link_check('pts_mixed')$$,
	$$VALUES (1230::bigint, 0::bigint, 0::bigint, 30::bigint, 30::bigint)$$,
	'built and inserted: exactly the 30 nodes of 1,000 non-zero elements are split, every slot right');
SET enable_seqscan = off;
SELECT is(array(SELECT (SELECT id FROM pts ORDER BY v <-> (SELECT v FROM pts WHERE id = b) LIMIT 1) FROM (VALUES (2005), (2025), (1100)) AS t(b)),
	ARRAY[2005, 2025, 1100], 'a wide value (built, inserted) and a small inserted one find themselves first');
RESET enable_seqscan;
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<->'), '>=', 196::bigint, 'the mixed index agrees with exact search');
DELETE FROM pts WHERE id % 3 = 0;
VACUUM pts;
SELECT results_eq($$SELECT nodes, wrong_distances, dangling, split_nodes, neighbour_tuples FROM hnsw_link_check('pts_mixed')$$,
	$$VALUES (820::bigint, 0::bigint, 0::bigint, 20::bigint, 20::bigint)$$,
	'VACUUM removes the deleted nodes and their neighbour tuples, no slot points at them');
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<->'), '>=', 196::bigint, 'after VACUUM the index agrees with exact search');

-- limits and errors
CREATE TEMP TABLE nz (v sparsevec(1001), w sparsevec);
INSERT INTO nz (v) VALUES (array_fill(1, ARRAY[1001])::vector::sparsevec);
SELECT throws_ok($$CREATE INDEX ON nz USING hnsw (v sparsevec_l2_ops)$$, '54000',
	'sparsevec cannot have more than 1000 non-zero elements for hnsw index', 'a build refuses 1,001 non-zero elements');
TRUNCATE nz;
CREATE INDEX nz_v ON nz USING hnsw (v sparsevec_l2_ops);
SELECT throws_ok($$INSERT INTO nz (v) VALUES (array_fill(1, ARRAY[1001])::vector::sparsevec)$$, '54000',
	'sparsevec cannot have more than 1000 non-zero elements for hnsw index', 'an insert refuses 1,001 non-zero elements');
INSERT INTO nz (v) VALUES ('{1:1}/1001'), ('{1000:-1}/1001');
SET enable_seqscan = off;
SELECT is(array(SELECT v::text FROM nz ORDER BY v <-> array_fill(1, ARRAY[1001])::vector::sparsevec), ARRAY['{1:1}/1001', '{1000:-1}/1001'],
	'a query of 1,001 non-zero elements is searched (the limit is on stored values)');
SELECT throws_ok($$SELECT v FROM nz ORDER BY v <-> '{1:1}/3' LIMIT 1$$, '22000',
	'different sparsevec dimensions 1001 and 3', 'a query of other dimensions is refused');
RESET enable_seqscan;
SELECT throws_ok($$CREATE INDEX ON nz USING hnsw (w sparsevec_l2_ops)$$, '22023',
	'column does not have dimensions', 'a column without dimensions is refused');

SELECT * FROM finish();
