-- The auth service's outbox (src/auth/outbox.c). A mail is written here by the same statement
-- that sets the token it carries, and a background thread of the server sends it, so no
-- request waits for an SMTP server. The sender deletes a row once the SMTP server took the
-- mail; a mail that failed is tried again later (attempts, next_attempt_at); after the last
-- try, or at once when the SMTP server refused it for good, the row is kept with failed_at and
-- last_error, and the token the mail carried is void (auth.sb_mail_failed).
--
-- service_role only: anon and authenticated have no grants here. A queued body carries a live
-- link and code until it is sent, so the server seals it under a key derived from its JWT
-- secret: the rows alone give no usable link.

CREATE TABLE auth.mail_outbox (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,            -- the mail: signup, recovery, email_change
    recipient       text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,            -- sealed by the server (AES-256-GCM, hex): it holds a live link
    user_id         uuid REFERENCES auth.users (id) ON DELETE CASCADE,
    token_kind      text CHECK (token_kind IN ('confirmation', 'recovery', 'email_change')),
    token_hash      text,                     -- the stored form of the token the mail carries
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    failed_at       timestamptz,
    last_error      text
);
CREATE INDEX mail_outbox_due_idx ON auth.mail_outbox (next_attempt_at) WHERE failed_at IS NULL;
CREATE INDEX mail_outbox_user_id_idx ON auth.mail_outbox (user_id);

-- Wakes the sender (LISTEN auth_mail_outbox) when mail is queued; delivered at commit.
CREATE FUNCTION auth.sb_mail_outbox_notify() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('auth_mail_outbox', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER mail_outbox_queued AFTER INSERT ON auth.mail_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION auth.sb_mail_outbox_notify();

-- A mail that will not be sent: its row is marked failed with the error, and the token it
-- carried is void, if the user still holds that token (a later mail may have replaced it).
CREATE FUNCTION auth.sb_mail_failed(p_id bigint, p_error text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    m auth.mail_outbox;
BEGIN
    UPDATE auth.mail_outbox SET failed_at = now(), last_error = p_error WHERE id = p_id RETURNING * INTO m;
    IF NOT FOUND OR m.token_hash IS NULL THEN
        RETURN;
    END IF;
    IF m.token_kind = 'confirmation' THEN
        UPDATE auth.users SET confirmation_token = NULL
         WHERE id = m.user_id AND confirmation_token = m.token_hash;
    ELSIF m.token_kind = 'recovery' THEN
        UPDATE auth.users SET recovery_token = NULL
         WHERE id = m.user_id AND recovery_token = m.token_hash;
    ELSIF m.token_kind = 'email_change' THEN
        UPDATE auth.users SET email_change_token_new = NULL
         WHERE id = m.user_id AND email_change_token_new = m.token_hash;
    END IF;
END
$$;

REVOKE ALL ON auth.mail_outbox FROM PUBLIC;
REVOKE ALL ON SEQUENCE auth.mail_outbox_id_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION auth.sb_mail_outbox_notify(), auth.sb_mail_failed(bigint, text) FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON auth.mail_outbox TO service_role;
GRANT USAGE, SELECT ON SEQUENCE auth.mail_outbox_id_seq TO service_role;
GRANT EXECUTE ON FUNCTION auth.sb_mail_outbox_notify(), auth.sb_mail_failed(bigint, text) TO service_role;
