-- Per-user counters of /functions/v1/embed (SB_EMBED_MAX_TEXTS_PER_HOUR): texts embedded per
-- fixed UTC hour. With a paid provider behind SB_EMBED_URL, each text costs the operator; the
-- limit bounds what one account can spend. Private to the server: only service_role may use
-- them (schema ai, 007). service_role's own calls are not counted.
CREATE TABLE IF NOT EXISTS ai.embed_usage (
    user_id      uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    period_start timestamptz NOT NULL,
    texts        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, period_start)
);
REVOKE ALL ON ai.embed_usage FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON ai.embed_usage TO service_role;

-- Admits one call of p_user embedding p_texts texts: refused when the hour's count would pass
-- p_max (0: no limit), else counted. One statement decides, so two calls at once cannot both
-- take the last texts (the row lock orders them). Returns NULL when admitted, else the
-- seconds until the hour ends (at least 1).
CREATE OR REPLACE FUNCTION ai.embed_admit(p_user uuid, p_texts integer, p_max integer) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, ai AS $$
DECLARE
    hour_start timestamptz := date_trunc('hour', now(), 'UTC');
BEGIN
    IF p_max <= 0 THEN
        RETURN NULL;
    END IF;
    IF p_texts <= p_max THEN
        INSERT INTO ai.embed_usage AS u (user_id, period_start, texts) VALUES (p_user, hour_start, p_texts)
        ON CONFLICT (user_id, period_start) DO UPDATE SET texts = u.texts + p_texts
            WHERE u.texts + p_texts <= p_max;
        IF FOUND THEN
            DELETE FROM ai.embed_usage AS u WHERE u.user_id = p_user AND u.period_start < hour_start;
            RETURN NULL;
        END IF;
    END IF;
    RETURN greatest(1, ceil(extract(epoch FROM hour_start + interval '1 hour' - now())))::integer;
END;
$$;
REVOKE ALL ON FUNCTION ai.embed_admit(uuid, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ai.embed_admit(uuid, integer, integer) TO service_role;
