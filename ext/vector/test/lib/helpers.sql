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
