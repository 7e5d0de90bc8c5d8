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
