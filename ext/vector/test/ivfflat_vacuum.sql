-- ivfflat and VACUUM: dead rows' entries leave the index, so new rows that take the dead rows'
-- heap slots (same TIDs) are each returned once, as themselves, and their entries fill the room
-- the deleted ones left. Not in a transaction block (VACUUM cannot run in one); the temporary
-- tables go with the session.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(7);

SELECT setseed(0.5);
CREATE TEMP TABLE items AS
	SELECT i AS id, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 16))::vector(16) AS v
	FROM generate_series(1, 4000) AS i;
CREATE INDEX items_v ON items USING ivfflat (v vector_l2_ops) WITH (lists = 20);
CREATE TEMP TABLE sizes AS SELECT 'built' AS at, pg_relation_size('items_v') AS bytes;

-- How many rows a scan of every list returns, and how many distinct ones.
CREATE FUNCTION pg_temp.full_scan_counts() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	result text;
BEGIN
	SET LOCAL enable_seqscan = off;
	SET LOCAL ivfflat.probes = 20;
	SELECT count(*) || ' ' || count(DISTINCT id) INTO result
	FROM (SELECT id FROM items ORDER BY v <-> (SELECT v FROM items LIMIT 1) LIMIT 100000) s;
	RETURN result;
END
$$;

CREATE TEMP TABLE dead_tids AS SELECT ctid AS tid FROM items WHERE id % 2 = 0;
DELETE FROM items WHERE id % 2 = 0;
VACUUM items;
SELECT is(pg_temp.full_scan_counts(), '2000 2000', 'after DELETE and VACUUM the index returns the 2,000 remaining rows, each once');

INSERT INTO items
	SELECT 10000 + i, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 16))::vector(16)
	FROM generate_series(1, 2000) AS i;
INSERT INTO sizes SELECT 'refilled', pg_relation_size('items_v');
SELECT cmp_ok((SELECT count(*) FROM items WHERE id > 10000 AND ctid IN (SELECT tid FROM dead_tids)), '>', 1000::bigint,
	'most new rows took a deleted row''s heap slot (so a leftover entry would now point at a new row)');
SELECT is(pg_temp.full_scan_counts(), '4000 4000', 'every row comes back exactly once: no entry of a deleted row was left');
SELECT is((SELECT count(*) FROM items AS p WHERE p.id > 10000 AND (SELECT id FROM items ORDER BY v <-> p.v LIMIT 1) = p.id), 2000::bigint,
	'each new row is found first by its own vector with one probe');
SELECT cmp_ok((SELECT bytes FROM sizes WHERE at = 'refilled'), '<=', (SELECT bytes * 11 / 10 FROM sizes WHERE at = 'built'),
	'the new entries reuse the room the deleted ones left (index grew less than 10%)');

-- without VACUUM the same inserts need new pages
CREATE TEMP TABLE dead_tids2 AS SELECT ctid AS tid FROM items WHERE id > 10000;
DELETE FROM items WHERE id > 10000;
INSERT INTO items
	SELECT 20000 + i, array(SELECT random() * 2 - 1 + 0 * i FROM generate_series(1, 16))::vector(16)
	FROM generate_series(1, 2000) AS i;
SELECT cmp_ok(pg_relation_size('items_v'), '>', (SELECT bytes * 13 / 10 FROM sizes WHERE at = 'refilled'),
	'(whereas without VACUUM the same number of new rows grows the index by more than 30%)');
VACUUM items;
SELECT is(pg_temp.full_scan_counts(), '4000 4000', 'after a second VACUUM still every row once');

SELECT * FROM finish();
