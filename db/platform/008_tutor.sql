-- The tutor's per-user usage counters (/functions/v1/tutor): calls per hour
-- (SB_TUTOR_MAX_REQUESTS_PER_HOUR) and model tokens per day (SB_TUTOR_MAX_TOKENS_PER_DAY), in
-- fixed UTC windows. Private to the server: only service_role may use them (schema ai, 007).
CREATE TABLE IF NOT EXISTS ai.tutor_usage (
    user_id      uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    period       text NOT NULL CHECK (period IN ('hour', 'day')),
    period_start timestamptz NOT NULL,
    requests     integer NOT NULL DEFAULT 0,
    tokens       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, period, period_start)
);
REVOKE ALL ON ai.tutor_usage FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON ai.tutor_usage TO service_role;

-- Admits one tutor call of p_user: refused when the day's tokens reached p_max_tokens, or
-- when the hour's calls reached p_max_requests (0: no limit); else the call is counted. One
-- statement, so two calls at once cannot both take the last one (the row lock orders them).
-- refused is NULL, 'requests_per_hour' or 'tokens_per_day'; retry_after_s is the seconds
-- until that window ends (at least 1).
CREATE OR REPLACE FUNCTION ai.tutor_admit(p_user uuid, p_max_requests integer, p_max_tokens bigint)
RETURNS TABLE (refused text, retry_after_s integer)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, ai AS $$
DECLARE
    hour_start timestamptz := date_trunc('hour', now(), 'UTC');
    day_start timestamptz := date_trunc('day', now(), 'UTC');
    used bigint;
BEGIN
    SELECT u.tokens INTO used FROM ai.tutor_usage AS u
    WHERE u.user_id = p_user AND u.period = 'day' AND u.period_start = day_start;
    IF p_max_tokens > 0 AND coalesce(used, 0) >= p_max_tokens THEN
        RETURN QUERY SELECT 'tokens_per_day'::text,
            greatest(1, ceil(extract(epoch FROM day_start + interval '1 day' - now())))::integer;
        RETURN;
    END IF;
    INSERT INTO ai.tutor_usage AS u (user_id, period, period_start, requests) VALUES (p_user, 'hour', hour_start, 1)
    ON CONFLICT (user_id, period, period_start) DO UPDATE SET requests = u.requests + 1
        WHERE p_max_requests <= 0 OR u.requests < p_max_requests;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'requests_per_hour'::text,
            greatest(1, ceil(extract(epoch FROM hour_start + interval '1 hour' - now())))::integer;
        RETURN;
    END IF;
    DELETE FROM ai.tutor_usage AS u WHERE u.user_id = p_user AND u.period_start < day_start - interval '1 day';
    RETURN QUERY SELECT NULL::text, 0;
END;
$$;
REVOKE ALL ON FUNCTION ai.tutor_admit(uuid, integer, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ai.tutor_admit(uuid, integer, bigint) TO service_role;

-- Adds the model tokens one answer used to p_user's day.
CREATE OR REPLACE FUNCTION ai.tutor_add_tokens(p_user uuid, p_tokens bigint) RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog, ai AS $$
    INSERT INTO ai.tutor_usage AS u (user_id, period, period_start, tokens)
    VALUES (p_user, 'day', date_trunc('day', now(), 'UTC'), greatest(p_tokens, 0))
    ON CONFLICT (user_id, period, period_start) DO UPDATE SET tokens = u.tokens + greatest(p_tokens, 0);
$$;
REVOKE ALL ON FUNCTION ai.tutor_add_tokens(uuid, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ai.tutor_add_tokens(uuid, bigint) TO service_role;
