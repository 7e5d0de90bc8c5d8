-- Helpers for the ext/vector pgTAP files (included with \ir; temporary, gone at rollback).

-- The plan PostgreSQL chooses for a query, as text (EXPLAIN without costs).
CREATE FUNCTION pg_temp.plan_of(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	plan text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
		plan := plan || line || E'\n';
	END LOOP;
	RETURN plan;
END
$$;

-- Clustered 384-dimensional test data (the recall and insert tests): a cluster centre is
-- uniform in [-0.5, 0.5) on each axis; a point is its centre plus uniform noise as large as
-- the centre, normalised. Volatile, and not inlined (their bodies hold subqueries), so every
-- call draws new numbers from the session's seed (setseed).
CREATE FUNCTION pg_temp.random_centre() RETURNS float8[] LANGUAGE sql VOLATILE AS $$
	SELECT array(SELECT random() - 0.5 FROM generate_series(1, 384))
$$;
-- (A function's result carries no typmod: cast to vector(384) where a column needs the dims.)
CREATE FUNCTION pg_temp.point_near(centre float8[]) RETURNS vector LANGUAGE sql VOLATILE AS $$
	SELECT l2_normalize(array(SELECT centre[d] + random() - 0.5 FROM generate_series(1, 384) AS d)::vector(384))
$$;

-- How many of an index's top 10 (ORDER BY col op query LIMIT 10, with seqscan off) are as
-- near as the exact 10th nearest (seqscan), summed over every row of the queries table (each
-- with an id and the same column); ties of equal distance count either way. At most
-- 10 x the number of queries. Leaves enable_seqscan off and enable_indexscan on.
CREATE FUNCTION pg_temp.hits_within_tenth(points text, queries text, col text, op text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	SET LOCAL enable_indexscan = off;
	SET LOCAL enable_seqscan = on;
	EXECUTE format('CREATE TEMP TABLE tenth AS SELECT q.id AS qid, (SELECT p.%3$I %4$s q.%3$I FROM %1$I AS p
		ORDER BY p.%3$I %4$s q.%3$I OFFSET 9 LIMIT 1) AS d FROM %2$I AS q', points, queries, col, op);
	SET LOCAL enable_indexscan = on;
	SET LOCAL enable_seqscan = off;
	EXECUTE format('SELECT count(*) FROM %2$I AS q JOIN tenth ON qid = q.id CROSS JOIN LATERAL
		(SELECT p.%3$I %4$s q.%3$I AS d FROM %1$I AS p ORDER BY p.%3$I %4$s q.%3$I LIMIT 10) AS a
		WHERE a.d <= tenth.d', points, queries, col, op) INTO n;
	DROP TABLE tenth;
	RETURN n;
END
$$;
