-- What the auth service (/auth/v1, src/auth/) keeps in the database beyond 002_auth.sql: the
-- authentication methods of a session (the JWT's `amr`), a rotated refresh token's child sealed
-- with a key derived from the rotated token (so only its holder can get the child again within
-- the reuse interval; the database still holds no usable token), and the functions that turn rows into
-- the JSON GoTrue answers with and that start and refresh sessions atomically.
--
-- Everything here is for service_role only (the auth service runs its SQL as service_role);
-- anon and authenticated cannot call these functions.

ALTER TABLE auth.sessions ADD COLUMN amr jsonb NOT NULL DEFAULT '[]';
ALTER TABLE auth.refresh_tokens ADD COLUMN child_sealed text;
CREATE INDEX users_created_at_idx ON auth.users (created_at DESC, id);

-- A timestamp as GoTrue writes it: RFC 3339 in UTC with microseconds; NULL stays NULL.
CREATE FUNCTION auth.sb_time(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- The user object of GoTrue's responses. Optional timestamps are left out when NULL, as GoTrue
-- does; the one identity is the email identity every password user has.
CREATE FUNCTION auth.sb_user_json(u auth.users) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'id', u.id, 'aud', coalesce(u.aud, ''), 'role', coalesce(u.role, ''),
        'email', coalesce(u.email, ''), 'phone', coalesce(u.phone, ''),
        'app_metadata', coalesce(u.raw_app_meta_data, '{}'),
        'user_metadata', coalesce(u.raw_user_meta_data, '{}'),
        'identities', CASE WHEN coalesce(u.email, '') = '' THEN '[]'::jsonb ELSE jsonb_build_array(jsonb_build_object(
            'identity_id', md5(u.id::text || ':email')::uuid, 'id', u.id, 'user_id', u.id,
            'identity_data', jsonb_build_object('sub', u.id, 'email', u.email,
                                                'email_verified', u.email_confirmed_at IS NOT NULL,
                                                'phone_verified', false),
            'provider', 'email', 'email', u.email,
            'last_sign_in_at', auth.sb_time(coalesce(u.last_sign_in_at, u.created_at)),
            'created_at', auth.sb_time(u.created_at), 'updated_at', auth.sb_time(u.updated_at))) END,
        'created_at', auth.sb_time(u.created_at), 'updated_at', auth.sb_time(u.updated_at),
        'is_anonymous', u.is_anonymous)
    || jsonb_strip_nulls(jsonb_build_object(
        'email_confirmed_at', auth.sb_time(u.email_confirmed_at),
        'phone_confirmed_at', auth.sb_time(u.phone_confirmed_at),
        'confirmed_at', auth.sb_time(u.confirmed_at),
        'confirmation_sent_at', auth.sb_time(u.confirmation_sent_at),
        'recovery_sent_at', auth.sb_time(u.recovery_sent_at),
        'email_change_sent_at', auth.sb_time(u.email_change_sent_at),
        'new_email', nullif(u.email_change, ''),
        'invited_at', auth.sb_time(u.invited_at),
        'last_sign_in_at', auth.sb_time(u.last_sign_in_at),
        'banned_until', auth.sb_time(u.banned_until),
        'deleted_at', auth.sb_time(u.deleted_at)))
$$;

-- Metadata after an update as GoTrue applies it: the patch's keys replace the old ones, and a
-- key set to null is removed. A NULL patch changes nothing.
CREATE FUNCTION auth.sb_merge_metadata(old jsonb, patch jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN patch IS NULL THEN old ELSE
        (SELECT coalesce(jsonb_object_agg(key, value), '{}')
           FROM jsonb_each(coalesce(old, '{}') || patch)
          WHERE value <> 'null'::jsonb) END
$$;

-- The claims of an access token for a user in a session, without iat and exp (the server adds
-- them from its own clock).
CREATE FUNCTION auth.sb_claims(u auth.users, s auth.sessions) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'sub', u.id, 'aud', coalesce(nullif(u.aud, ''), 'authenticated'),
        'role', coalesce(nullif(u.role, ''), 'authenticated'),
        'email', coalesce(u.email, ''), 'phone', coalesce(u.phone, ''),
        'app_metadata', coalesce(u.raw_app_meta_data, '{}'),
        'user_metadata', coalesce(u.raw_user_meta_data, '{}'),
        'aal', coalesce(s.aal, 'aal1'), 'amr', s.amr, 'session_id', s.id,
        'is_anonymous', u.is_anonymous)
$$;

-- Signs a user in: a new session authenticated by p_method ('password', 'otp', 'recovery'),
-- its first refresh token (stored as the hash the server computed), last_sign_in_at = now().
CREATE FUNCTION auth.sb_start_session(p_user uuid, p_token_hash text, p_method text, p_ip text,
                                      p_user_agent text)
RETURNS TABLE (user_json jsonb, claims jsonb)
LANGUAGE plpgsql
AS $$
DECLARE
    u auth.users;
    s auth.sessions;
BEGIN
    INSERT INTO auth.sessions (user_id, aal, amr, user_agent, ip)
    VALUES (p_user, 'aal1',
            jsonb_build_array(jsonb_build_object('method', p_method,
                                                 'timestamp', extract(epoch FROM now())::bigint)),
            p_user_agent, nullif(p_ip, '')::inet)
    RETURNING * INTO s;
    INSERT INTO auth.refresh_tokens (token_hash, user_id, session_id) VALUES (p_token_hash, p_user, s.id);
    UPDATE auth.users SET last_sign_in_at = now() WHERE id = p_user RETURNING * INTO u;
    RETURN QUERY SELECT auth.sb_user_json(u), auth.sb_claims(u, s);
END
$$;

-- Exchanges a refresh token (by hash) for a new one in the same session (rotation). outcome:
--   'ok'            the old token is revoked, p_new_hash is its child; user_json and claims set;
--                   the old row keeps p_new_sealed (the new token sealed with a key only the
--                   old token gives, made by the server) in child_sealed
--   'current'       the token was revoked less than p_reuse_seconds ago and its child is still
--                   the session's live token (two tabs refreshing at once): nothing changes,
--                   child_sealed lets the server hand the same child out again
--   'not_found'     no such token (never issued, or its session ended)
--   'already_used'  the token was revoked more than p_reuse_seconds ago: the session is ended
--   'user_banned'   the user is banned
-- A token revoked within the interval whose child was rotated in turn gets a new child.
CREATE FUNCTION auth.sb_refresh(p_token_hash text, p_new_hash text, p_reuse_seconds int, p_new_sealed text)
RETURNS TABLE (outcome text, user_json jsonb, claims jsonb, child_sealed text)
LANGUAGE plpgsql
AS $$
DECLARE
    t auth.refresh_tokens;
    s auth.sessions;
    u auth.users;
    live_child boolean;
BEGIN
    SELECT * INTO t FROM auth.refresh_tokens r WHERE r.token_hash = p_token_hash FOR UPDATE;
    IF NOT FOUND OR t.session_id IS NULL THEN
        RETURN QUERY SELECT 'not_found', NULL::jsonb, NULL::jsonb, NULL::text;
        RETURN;
    END IF;
    IF t.revoked AND t.updated_at <= now() - make_interval(secs => p_reuse_seconds) THEN
        DELETE FROM auth.sessions WHERE id = t.session_id;
        RETURN QUERY SELECT 'already_used', NULL::jsonb, NULL::jsonb, NULL::text;
        RETURN;
    END IF;
    SELECT * INTO u FROM auth.users WHERE id = t.user_id;
    IF u.banned_until IS NOT NULL AND u.banned_until > now() THEN
        RETURN QUERY SELECT 'user_banned', NULL::jsonb, NULL::jsonb, NULL::text;
        RETURN;
    END IF;
    IF t.revoked AND t.child_sealed IS NOT NULL THEN
        SELECT EXISTS (SELECT 1 FROM auth.refresh_tokens r
                        WHERE r.parent = t.token_hash AND r.session_id = t.session_id AND NOT r.revoked)
          INTO live_child;
        IF live_child THEN
            SELECT * INTO s FROM auth.sessions WHERE id = t.session_id;
            RETURN QUERY SELECT 'current', auth.sb_user_json(u), auth.sb_claims(u, s), t.child_sealed;
            RETURN;
        END IF;
    END IF;
    UPDATE auth.refresh_tokens r SET revoked = true, updated_at = now(), child_sealed = p_new_sealed
     WHERE r.id = t.id AND NOT r.revoked;
    INSERT INTO auth.refresh_tokens (token_hash, user_id, session_id, parent)
    VALUES (p_new_hash, t.user_id, t.session_id, t.token_hash);
    UPDATE auth.sessions SET refreshed_at = now(), updated_at = now() WHERE id = t.session_id
    RETURNING * INTO s;
    RETURN QUERY SELECT 'ok', auth.sb_user_json(u), auth.sb_claims(u, s), NULL::text;
END
$$;

REVOKE ALL ON FUNCTION auth.sb_time(timestamptz), auth.sb_user_json(auth.users),
    auth.sb_merge_metadata(jsonb, jsonb),
    auth.sb_claims(auth.users, auth.sessions), auth.sb_start_session(uuid, text, text, text, text),
    auth.sb_refresh(text, text, int, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.sb_time(timestamptz), auth.sb_user_json(auth.users),
    auth.sb_merge_metadata(jsonb, jsonb),
    auth.sb_claims(auth.users, auth.sessions), auth.sb_start_session(uuid, text, text, text, text),
    auth.sb_refresh(text, text, int, text) TO service_role;
