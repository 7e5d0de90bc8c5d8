-- Shared set-up for the pgTAP files in db/tests, included with `\ir lib/helpers.sql` right
-- after BEGIN, so everything it creates is rolled back with the test.
--
--   test.outcome(statement)    runs a statement and undoes it; says how the database answered:
--                              'accepted', or '<SQLSTATE> <message>' where the message is the
--                              violated constraint's COMMENT (the seed's message) when there is
--                              one, else the error's own text (e.g. a trigger's RAISE message).
--                              This is the lookup the API does to turn an error into a message.
--   test.rows_affected(stmt)   runs a statement (kept) and returns how many rows it touched.
--   test.act_as(role, sub)     switches to an API role with the claims a request would carry,
--                              until RESET ROLE (claims stay until changed).
--   test.create_user(id, email)   inserts an auth.users row.
--   test.emb(w)                a 384-dimensional embedding e1 + w e2 (axis 1 plus w on axis 2):
--                              its cosine similarity to e1 is 1 / sqrt(1 + w^2).

CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE SCHEMA test;
GRANT USAGE ON SCHEMA test TO anon, authenticated, service_role;

CREATE FUNCTION test.outcome(statement text) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    state       text;
    message     text;
    constraint_ text;
    table_      text;
    schema_     text;
    comment_    text;
BEGIN
    BEGIN
        EXECUTE statement;
        RAISE EXCEPTION 'undo' USING ERRCODE = 'T0001';
    EXCEPTION WHEN SQLSTATE 'T0001' THEN
        RETURN 'accepted';
    END;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
        constraint_ = CONSTRAINT_NAME, table_ = TABLE_NAME, schema_ = SCHEMA_NAME;
    IF constraint_ <> '' AND table_ <> '' THEN
        SELECT obj_description(oid, 'pg_constraint') INTO comment_
        FROM pg_constraint
        WHERE conname = constraint_ AND conrelid = to_regclass(format('%I.%I', schema_, table_));
    END IF;
    RETURN state || ' ' || coalesce(comment_, message);
END;
$$;

CREATE FUNCTION test.rows_affected(statement text) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE statement;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;

CREATE FUNCTION test.act_as(role text, sub uuid DEFAULT NULL) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM set_config('request.jwt.claims',
                       jsonb_strip_nulls(jsonb_build_object('role', role, 'sub', sub))::text, true);
    PERFORM set_config('role', role, true);
END;
$$;

CREATE FUNCTION test.create_user(id uuid, email text) RETURNS uuid
LANGUAGE sql
AS $$
    INSERT INTO auth.users (id, email) VALUES (id, email) RETURNING id;
$$;

CREATE FUNCTION test.emb(w real) RETURNS vector
LANGUAGE sql AS $$ SELECT (ARRAY[1, w]::real[] || array_fill(0::real, ARRAY[382]))::vector $$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA test TO anon, authenticated, service_role;
