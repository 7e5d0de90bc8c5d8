-- ivfflat recall: 10,000 clustered 384-dimensional unit vectors (10 clusters, fixed seed), 100
-- queries drawn from the same clusters; the index's top 10 against the exact top 10, for
-- several ivfflat.probes. 100 lists split each cluster into about 10 lists along its
-- (uniform, high-dimensional) noise, so a query's neighbours spread over its cluster's lists:
-- a hard case for one probe (with as many lists as well separated clusters, one probe already
-- finds them all). With probes = lists the index reads every row: exactly the exact answer.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(8);
\ir lib/helpers.sql

SELECT setseed(0.75);
CREATE TEMP TABLE centers AS
	SELECT c, pg_temp.random_centre() AS x
	FROM generate_series(1, 10) AS c;
CREATE TEMP TABLE items AS
	SELECT i AS id, pg_temp.point_near(x)::vector(384) AS v
	FROM generate_series(1, 10000) AS i JOIN centers ON c = 1 + i % 10;
CREATE TEMP TABLE queries AS
	SELECT i AS id, pg_temp.point_near(x)::vector(384) AS v
	FROM generate_series(1, 100) AS i JOIN centers ON c = 1 + (i * 7) % 10;
CREATE INDEX items_v_idx ON items USING ivfflat (v vector_cosine_ops) WITH (lists = 100);

SET LOCAL enable_indexscan = off;
CREATE TEMP TABLE exact AS
	SELECT q.id AS qid, e.id FROM queries AS q
	CROSS JOIN LATERAL (SELECT id FROM items ORDER BY v <=> q.v LIMIT 10) AS e;
SET LOCAL enable_indexscan = on;

-- recall@10 of the index at the current ivfflat.probes
CREATE FUNCTION pg_temp.recall() RETURNS float8 LANGUAGE sql AS $$
	SELECT count(*)::float8 / (SELECT count(*) FROM exact)
	FROM queries AS q
	CROSS JOIN LATERAL (SELECT id FROM items ORDER BY v <=> q.v LIMIT 10) AS a
	JOIN exact ON exact.qid = q.id AND exact.id = a.id
$$;

SELECT matches(pg_temp.plan_of($$SELECT q.id, a.id FROM queries AS q CROSS JOIN LATERAL (SELECT id FROM items ORDER BY v <=> q.v LIMIT 10) AS a$$),
	'Index Scan using items_v_idx', 'the recall queries run through the index at the default probes');

CREATE TEMP TABLE recall_at (probes int, recall float8);
SET LOCAL ivfflat.probes = 1;
INSERT INTO recall_at SELECT 1, pg_temp.recall();
SET LOCAL ivfflat.probes = 3;
INSERT INTO recall_at SELECT 3, pg_temp.recall();
SET LOCAL ivfflat.probes = 10;
INSERT INTO recall_at SELECT 10, pg_temp.recall();
-- reading every list costs about what the exact top-N scan costs; keep the planner on the index
SET LOCAL enable_seqscan = off;
SET LOCAL ivfflat.probes = 100;
SELECT matches(pg_temp.plan_of($$SELECT q.id, a.id FROM queries AS q CROSS JOIN LATERAL (SELECT id FROM items ORDER BY v <=> q.v LIMIT 10) AS a$$),
	'Index Scan using items_v_idx', 'with probes = lists too');
INSERT INTO recall_at SELECT 100, pg_temp.recall();

SELECT diag('recall@10 by probes: ' || string_agg(probes || ' -> ' || round(recall::numeric, 3), ', ' ORDER BY probes)) FROM recall_at;
SELECT is((SELECT recall FROM recall_at WHERE probes = 100), 1::float8, 'probes = lists: recall@10 is 1 (every row is read)');
SELECT cmp_ok((SELECT recall FROM recall_at WHERE probes = 1), '>=', 0.15::float8, 'probes = 1 (of 100 lists): recall@10 at least 0.15');
SELECT cmp_ok((SELECT recall FROM recall_at WHERE probes = 3), '>=', 0.45::float8, 'probes = 3: recall@10 at least 0.45');
SELECT cmp_ok((SELECT recall FROM recall_at WHERE probes = 10), '>=', 0.95::float8, 'probes = 10 (a cluster''s worth of lists): recall@10 at least 0.95');
SELECT cmp_ok((SELECT recall FROM recall_at WHERE probes = 3), '>', (SELECT recall FROM recall_at WHERE probes = 1), 'recall rises from 1 to 3 probes');
SELECT cmp_ok((SELECT recall FROM recall_at WHERE probes = 10), '>', (SELECT recall FROM recall_at WHERE probes = 3), 'and from 3 to 10');

SELECT * FROM finish();
ROLLBACK;
