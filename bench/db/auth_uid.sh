#!/usr/bin/env bash
# Benchmark: the cost of auth.uid() inside an RLS policy on a sequential scan, for our inlinable
# auth.uid() (one SQL expression, db/platform/002_auth.sql) against a baseline body with a FROM
# clause, which PostgreSQL cannot inline. Both are measured in the same run, on the same table
# (200,000 rows, 1,000 owners, policy `auth.uid() = user_id`, index scans off), as role
# authenticated: 9 runs each, interleaved; prints the medians and their ratio.
#   bench/db/auth_uid.sh            (needs pg_virtualenv; leaves nothing running)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${PGHOST:-}" ]; then
  exec pg_virtualenv -t -v 15 "$0" "$@"
fi
createdb auth_uid_bench
export PGDATABASE=auth_uid_bench
for f in db/platform/*.sql; do
  psql -XqAt -v ON_ERROR_STOP=1 --single-transaction -f "$f" >/dev/null
done
psql -XqAt -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE TABLE owned (id bigserial PRIMARY KEY, user_id uuid NOT NULL);
INSERT INTO owned (user_id)
SELECT u FROM (SELECT gen_random_uuid() AS u FROM generate_series(1, 1000)) AS users, generate_series(1, 200);
SQL
psql -XqAt -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
ALTER TABLE owned ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON owned TO authenticated;
CREATE POLICY own ON owned USING (auth.uid() = user_id);
ANALYZE owned;

-- The baseline: same semantics, but a FROM clause keeps it from being inlined.
CREATE FUNCTION auth.uid_not_inlined() RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN s ~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$' THEN s::uuid END
    FROM (SELECT coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub',
                          nullif(current_setting('request.jwt.claim.sub', true), '')) AS s) AS claim
$$;
CREATE TABLE owned_baseline (LIKE owned INCLUDING ALL);
INSERT INTO owned_baseline SELECT * FROM owned;
ALTER TABLE owned_baseline ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON owned_baseline TO authenticated;
CREATE POLICY own ON owned_baseline USING (auth.uid_not_inlined() = user_id);
ANALYZE owned_baseline;

-- Milliseconds for one count(*) over `t` as authenticated user `sub`.
CREATE FUNCTION time_count(t regclass, sub uuid) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE started timestamptz; n bigint;
BEGIN
    PERFORM set_config('request.jwt.claims', json_build_object('sub', sub)::text, true);
    PERFORM set_config('role', 'authenticated', true);
    started := clock_timestamp();
    EXECUTE format('SELECT count(*) FROM %s', t) INTO n;
    PERFORM set_config('role', 'none', true);
    IF n <> 200 THEN RAISE EXCEPTION 'expected 200 rows for the user, got %', n; END IF;
    RETURN extract(epoch FROM clock_timestamp() - started) * 1000;
END $$;
SQL
psql -XqAt -v ON_ERROR_STOP=1 <<'SQL'
SET enable_indexscan = off; SET enable_bitmapscan = off; SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE runs (variant text, ms double precision);
DO $$
DECLARE sub uuid := (SELECT user_id FROM owned LIMIT 1);
BEGIN
    FOR i IN 1 .. 9 LOOP
        INSERT INTO runs VALUES ('inlined auth.uid()', time_count('owned', sub));
        INSERT INTO runs VALUES ('baseline (not inlined)', time_count('owned_baseline', sub));
    END LOOP;
END $$;
SELECT format('%-24s median %s ms', variant,
              round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1))
FROM runs GROUP BY variant ORDER BY variant;
SELECT 'ratio baseline/inlined: ' || round((
    (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM runs WHERE variant LIKE 'baseline%') /
    (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM runs WHERE variant LIKE 'inlined%'))::numeric, 2);
SQL
