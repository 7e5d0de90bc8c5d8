-- hnsw on bit: bit_hamming_ops and bit_jaccard_ops agree with exact search, inserts after the
-- build, VACUUM, 64,000-bit nodes, the 64,000-bit limit, varbit refused. Not in one
-- transaction: VACUUM cannot run inside one (the tables are temporary).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(13);
\ir lib/helpers.sql

-- 1,000 bit(128) strings around 20 centres (each bit flipped with probability 0.15), 20
-- queries; fixed seed.
SELECT setseed(0.5);
CREATE TEMP TABLE ctr AS
	SELECT c, array(SELECT random() < 0.5 FROM generate_series(1, 128) AS d WHERE c > 0) AS b
	FROM generate_series(1, 20) AS c;
CREATE FUNCTION pg_temp.near(b bool[]) RETURNS bit(128) LANGUAGE sql VOLATILE AS $$
	SELECT string_agg(CASE WHEN b[d] <> (random() < 0.15) THEN '1' ELSE '0' END, '' ORDER BY d)::bit(128)
	FROM generate_series(1, 128) AS d
$$;
CREATE TEMP TABLE pts AS SELECT i AS id, pg_temp.near(b)::bit(128) AS v FROM generate_series(1, 1000) AS i JOIN ctr ON c = 1 + i % 20;
CREATE TEMP TABLE qs AS SELECT i AS id, pg_temp.near(b)::bit(128) AS v FROM generate_series(1, 20) AS i JOIN ctr ON c = 1 + (i * 7) % 20;

CREATE INDEX pts_ham ON pts USING hnsw (v bit_hamming_ops);
SET enable_seqscan = off;
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <~> (SELECT v FROM qs WHERE id = 1) LIMIT 5$$),
	'Index Scan using pts_ham', 'ORDER BY v <~> q uses the bit_hamming_ops index');
SET hnsw.ef_search = 1000;
SELECT is(array(SELECT v <~> (SELECT v FROM qs WHERE id = 1) FROM pts ORDER BY v <~> (SELECT v FROM qs WHERE id = 1) LIMIT 30),
	(SELECT array(SELECT d FROM (SELECT v <~> (SELECT v FROM qs WHERE id = 1) AS d FROM pts) s ORDER BY d LIMIT 30)),
	'with ef_search above the row count the index returns the 30 nearest Hamming distances, in order');
RESET hnsw.ef_search;
RESET enable_seqscan;
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<~>'), '>=', 196::bigint, 'bit_hamming_ops finds the exact 10 nearest (>= 98%)');
DROP INDEX pts_ham;

CREATE INDEX pts_jac ON pts USING hnsw (v bit_jaccard_ops) WITH (m = 8, ef_construction = 32);
SET enable_seqscan = off;
SELECT matches(pg_temp.plan_of($$SELECT id FROM pts ORDER BY v <%> (SELECT v FROM qs WHERE id = 1) LIMIT 5$$),
	'Index Scan using pts_jac', 'ORDER BY v <%> q uses the bit_jaccard_ops index');
RESET enable_seqscan;
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<%>'), '>=', 196::bigint, 'bit_jaccard_ops finds the exact 10 nearest (>= 98%)');
INSERT INTO pts SELECT 1000 + i, pg_temp.near(b) FROM generate_series(1, 500) AS i JOIN ctr ON c = 1 + i % 20;
SELECT results_eq($$SELECT nodes, wrong_distances, dangling FROM hnsw_link_check('pts_jac')$$,
	$$VALUES (1500::bigint, 0::bigint, 0::bigint)$$, '500 inserted rows are linked, every slot right');
DELETE FROM pts WHERE id % 3 = 0;
VACUUM pts;
SELECT results_eq($$SELECT nodes, wrong_distances, dangling FROM hnsw_link_check('pts_jac')$$,
	$$VALUES (1000::bigint, 0::bigint, 0::bigint)$$, 'VACUUM removes the 500 deleted nodes, no slot points at them');
SELECT cmp_ok(pg_temp.hits_within_tenth('pts', 'qs', 'v', '<%>'), '>=', 196::bigint, 'after inserts and VACUUM the index agrees with exact search');

-- 64,000 bits: 8,000 bytes, the slots in a neighbour tuple
CREATE TEMP TABLE big AS
	SELECT i AS id, (SELECT string_agg(CASE WHEN random() < 0.5 THEN '1' ELSE '0' END, '') FROM generate_series(1, 64000 + 0 * i))::bit(64000) AS v
	FROM generate_series(1, 60) AS i;
CREATE INDEX big_v ON big USING hnsw (v bit_hamming_ops);
INSERT INTO big SELECT i, (SELECT string_agg(CASE WHEN random() < 0.5 THEN '1' ELSE '0' END, '') FROM generate_series(1, 64000 + 0 * i))::bit(64000)
	FROM generate_series(61, 80) AS i;
SELECT results_eq($$SELECT nodes, wrong_distances, dangling, split_nodes FROM hnsw_link_check('big_v')$$,
	$$VALUES (80::bigint, 0::bigint, 0::bigint, 80::bigint)$$,
	'built and inserted 64,000-bit nodes each keep their slots in a neighbour tuple, every slot right');
SET enable_seqscan = off;
SELECT is(array(SELECT id FROM big ORDER BY v <~> (SELECT v FROM big WHERE id = 70) LIMIT 1), ARRAY[70],
	'a 64,000-bit string finds itself first');
RESET enable_seqscan;

-- limits and errors
CREATE TEMP TABLE vb (v varbit(3));
SELECT throws_ok($$CREATE INDEX ON vb USING hnsw (v bit_hamming_ops)$$, '0A000',
	'type not supported for hnsw index', 'a varbit column is refused with pgvector''s error');
SELECT lives_ok($$CREATE INDEX ON vb USING hnsw ((v::bit(3)) bit_hamming_ops)$$, 'an index on varbit cast to bit(3) builds');
SELECT throws_ok($$CREATE INDEX ON vb USING hnsw ((v::bit(64001)) bit_hamming_ops)$$, '54000',
	'column cannot have more than 64000 dimensions for hnsw index', '64,001 bits are refused with pgvector''s error');

SELECT * FROM finish();
