-- hnsw recall: 20,000 clustered 384-dimensional unit vectors (100 clusters, fixed seed), 100
-- queries drawn from the same clusters; the index's top 10 against the exact top 10.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(5);
\ir lib/helpers.sql

SELECT setseed(0.25);
CREATE TEMP TABLE centers AS
	SELECT c, pg_temp.random_centre() AS x
	FROM generate_series(1, 100) AS c;
-- each point: its cluster's centre plus uniform noise as large as the centre, normalised
CREATE TEMP TABLE items AS
	SELECT i AS id, pg_temp.point_near(x)::vector(384) AS v
	FROM generate_series(1, 20000) AS i JOIN centers ON c = 1 + i % 100;
CREATE TEMP TABLE queries AS
	SELECT i AS id, pg_temp.point_near(x)::vector(384) AS v
	FROM generate_series(1, 100) AS i JOIN centers ON c = 1 + (i * 7) % 100;
CREATE INDEX items_v_idx ON items USING hnsw (v vector_cosine_ops);

SET LOCAL enable_indexscan = off;
CREATE TEMP TABLE exact AS
	SELECT q.id AS qid, e.id FROM queries AS q
	CROSS JOIN LATERAL (SELECT id FROM items ORDER BY v <=> q.v LIMIT 10) AS e;
SET LOCAL enable_indexscan = on;
SET LOCAL enable_seqscan = off;

-- recall@10 of the index at the current hnsw.ef_search
CREATE FUNCTION pg_temp.recall() RETURNS float8 LANGUAGE sql AS $$
	SELECT count(*)::float8 / (SELECT count(*) FROM exact)
	FROM queries AS q
	CROSS JOIN LATERAL (SELECT id FROM items ORDER BY v <=> q.v LIMIT 10) AS a
	JOIN exact ON exact.qid = q.id AND exact.id = a.id
$$;

SELECT matches(pg_temp.plan_of($$SELECT q.id, a.id FROM queries AS q CROSS JOIN LATERAL (SELECT id FROM items ORDER BY v <=> q.v LIMIT 10) AS a$$),
	'Index Scan using items_v_idx', 'the recall queries run through the index');

SET LOCAL hnsw.ef_search = 10;
CREATE TEMP TABLE recall_at AS SELECT 10 AS ef, pg_temp.recall() AS recall;
SET LOCAL hnsw.ef_search = 40;
INSERT INTO recall_at SELECT 40, pg_temp.recall();
SET LOCAL hnsw.ef_search = 200;
INSERT INTO recall_at SELECT 200, pg_temp.recall();

SELECT cmp_ok((SELECT recall FROM recall_at WHERE ef = 40), '>=', 0.95::float8, 'recall@10 is at least 0.95 at the default ef_search (40)');
SELECT cmp_ok((SELECT recall FROM recall_at WHERE ef = 10), '<', (SELECT recall FROM recall_at WHERE ef = 40), 'recall rises from ef_search 10 to 40');
SELECT cmp_ok((SELECT recall FROM recall_at WHERE ef = 200), '>=', (SELECT recall FROM recall_at WHERE ef = 40), 'recall does not fall from ef_search 40 to 200');
SELECT cmp_ok((SELECT recall FROM recall_at WHERE ef = 200), '>=', 0.99::float8, 'recall@10 is at least 0.99 at ef_search 200');

SELECT * FROM finish();
ROLLBACK;
