-- The sparsevec type: the {index:value}/dims text form, limits, typmod, binary form, casts,
-- distances, norms and ordering, with pgvector's errors.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(50);

-- Text input and output
SELECT is('{1:1.5,3:3.5}/5'::sparsevec::text, '{1:1.5,3:3.5}/5', 'a literal round-trips');
SELECT is(E' { 1 : 1.5 ,\t3 : 3.5 } / 5 '::sparsevec::text, '{1:1.5,3:3.5}/5', 'white space is allowed around every part');
SELECT is('{3:2,1:1}/3'::sparsevec::text, '{1:1,3:2}/3', 'elements may come in any order');
SELECT is('{1:0,2:1,3:0}/3'::sparsevec::text, '{2:1}/3', 'zero values are dropped');
SELECT is('{}/4'::sparsevec::text, '{}/4', 'a sparsevec may have no non-zero element');

SELECT throws_ok($$SELECT ''::sparsevec$$, '22P02', 'invalid input syntax for type sparsevec: ""', 'a literal must start with {');
SELECT throws_ok($$SELECT '{}'::sparsevec$$, '22P02', 'invalid input syntax for type sparsevec: "{}"', 'the /dims part is required');
SELECT throws_ok($$SELECT '{1:1,}/1'::sparsevec$$, '22P02', 'invalid input syntax for type sparsevec: "{1:1,}/1"', 'a trailing comma is refused');
SELECT throws_ok($$SELECT '{1a:1}/1'::sparsevec$$, '22P02', 'invalid input syntax for type sparsevec: "{1a:1}/1"', 'a bad index is refused');
SELECT throws_ok($$SELECT '{}/1a'::sparsevec$$, '22P02', 'invalid input syntax for type sparsevec: "{}/1a"', 'text after the dimensions is refused');
SELECT throws_ok($$SELECT '{1:1,1:2}/2'::sparsevec$$, '22000', 'sparsevec indices must not contain duplicates', 'a duplicate index is refused');
SELECT throws_ok($$SELECT '{0:1}/1'::sparsevec$$, '22000', 'sparsevec index out of bounds', 'indices start at 1');
SELECT throws_ok($$SELECT '{3:1}/2'::sparsevec$$, '22000', 'sparsevec index out of bounds', 'an index past the dimensions is refused');
SELECT throws_ok($$SELECT '{}/0'::sparsevec$$, '22000', 'sparsevec must have at least 1 dimension', 'zero dimensions are refused');
SELECT throws_ok($$SELECT '{}/1000000001'::sparsevec$$, '54000', 'sparsevec cannot have more than 1000000000 dimensions', 'more than 1e9 dimensions are refused');
SELECT is('{1000000000:1}/1000000000'::sparsevec::text, '{1000000000:1}/1000000000', '1e9 dimensions are accepted');
SELECT throws_ok($$SELECT '{1:1e-46}/1'::sparsevec$$, '22003', '"1e-46" is out of range for type sparsevec', 'float4 underflow is out of range');
SELECT throws_ok($$SELECT '{1:4e38}/1'::sparsevec$$, '22003', '"4e38" is out of range for type sparsevec', 'float4 overflow is out of range');
SELECT throws_ok($$SELECT '{1:NaN}/1'::sparsevec$$, '22000', 'NaN not allowed in sparsevec', 'NaN is refused');
SELECT throws_ok($$SELECT ('{' || string_agg(i || ':1', ',') || '}/20000')::sparsevec FROM generate_series(1, 16001) i$$,
                 '54000', 'sparsevec cannot have more than 16000 non-zero elements', 'more than 16000 non-zero elements are refused');
SELECT is((SELECT l2_norm(('{' || string_agg(i || ':1', ',') || '}/20000')::sparsevec) FROM generate_series(1, 16000) i),
          sqrt(16000)::float8, '16000 non-zero elements are accepted');

-- Typmod
SELECT throws_ok($$SELECT '{}/3'::sparsevec(2)$$, '22000', 'expected 2 dimensions, not 3', 'the typmod is checked');
SELECT throws_ok($$SELECT '{}/3'::sparsevec(1000000001)$$, '22023', 'dimensions for type sparsevec cannot exceed 1000000000', 'typmod above 1e9 is refused');

-- Binary form
SELECT is(sparsevec_send('{2:1.5,4:-1}/5'),
          '\x00000005000000020000000000000001000000033fc00000bf800000'::bytea,
          'binary form: int32 dims, nnz, 0, then 0-based indices, then float4 values');
CREATE TEMP TABLE s (id int, v sparsevec(3));
INSERT INTO s VALUES (1, '{}/3'), (2, '{1:1,2:2,3:3}/3'), (3, '{1:1,2:1,3:1}/3'), (4, NULL);
CREATE TEMP TABLE s2 (LIKE s);
DO $$
DECLARE
	file text := '/tmp/studybase_sparsevec_' || pg_backend_pid() || '.bin';
BEGIN
	EXECUTE format('COPY s TO %L WITH (FORMAT binary)', file);
	EXECUTE format('COPY s2 FROM PROGRAM %L WITH (FORMAT binary)', 'cat ' || file || ' && rm ' || file);
END
$$;
SELECT results_eq($$SELECT id, v::text FROM s2 ORDER BY id$$, $$SELECT id, v::text FROM s ORDER BY id$$,
                  'a binary COPY reads back what it wrote');

-- Casts
SELECT is('[0,1.5,0,3.5,0]'::vector::sparsevec::text, '{2:1.5,4:3.5}/5', 'vector casts to sparsevec, zeros dropped');
SELECT is('{2:1.5,4:3.5}/5'::sparsevec::vector::text, '[0,1.5,0,3.5,0]', 'sparsevec casts to vector');
SELECT is('[0,1.5]'::halfvec::sparsevec::text, '{2:1.5}/2', 'halfvec casts to sparsevec');
SELECT is('{2:1.5}/2'::sparsevec::halfvec::text, '[0,1.5]', 'sparsevec casts to halfvec');
SELECT throws_ok($$SELECT '{}/16001'::sparsevec::vector$$, '54000', 'vector cannot have more than 16000 dimensions', 'a cast to vector keeps its dimension limit');
SELECT throws_ok($$SELECT '{1:65520}/1'::sparsevec::halfvec$$, '22003', '"65520" is out of range for type halfvec', 'a cast to halfvec keeps its range');
SELECT is(ARRAY[1,0,2]::sparsevec::text, '{1:1,3:2}/3', 'integer[] casts to sparsevec');
SELECT throws_ok($$SELECT '{{1}}'::real[]::sparsevec$$, '22000', 'array must be 1-D', 'a 2-D array is refused');
SELECT throws_ok($$SELECT '{Infinity}'::real[]::sparsevec$$, '22000', 'infinite value not allowed in sparsevec', 'an infinite array element is refused');

-- Distances
SELECT is(l2_distance('{1:3}/2'::sparsevec, '{2:4}/2'), 5::float8, 'l2_distance over disjoint indices');
SELECT is('{1:1,3:3,5:5}/5'::sparsevec <#> '{2:4,3:6,4:8}/5', -18::float8, '<#> is the negative inner product over shared indices');
SELECT is(cosine_distance('{1:1,2:2}/2'::sparsevec, '{1:2,2:4}/2'), 0::float8, 'cosine_distance of parallel vectors is 0');
SELECT is('{}/2'::sparsevec <=> '{1:1}/2', 'NaN'::float8, 'cosine distance to a zero vector is NaN');
SELECT is('{1:1,3:3}/4'::sparsevec <+> '{2:2,3:1}/4', 5::float8, '<+> is the L1 distance');
SELECT is(sparsevec_l2_squared_distance('{}/2', '{1:3,2:4}/2'), 25::float8, 'the squared L2 distance (index support)');
SELECT is(inner_product('{1:3e38}/1'::sparsevec, '{1:3e38}/1'), 'Infinity'::float8, 'sums in float4 overflow to Infinity');
SELECT throws_ok($$SELECT '{}/2'::sparsevec <-> '{}/1'$$, '22000', 'different sparsevec dimensions 2 and 1', 'distances need equal dimensions');

-- Norms
SELECT is(l2_norm('{1:3e37,2:4e37}/2'::sparsevec)::real, 5e37::real, 'l2_norm sums in float8');
SELECT is(l2_normalize('{1:3,2:4}/2'::sparsevec)::text, '{1:0.6,2:0.8}/2', 'l2_normalize scales to unit length');
SELECT is(l2_normalize('{1:3e38,2:1e-37}/2'::sparsevec)::text, '{1:1}/2', 'l2_normalize drops values that become zero');
SELECT is(l2_normalize('{}/2'::sparsevec)::text, '{}/2', 'l2_normalize leaves a zero vector zero');

-- Ordering
SELECT ok('{1:1}/2'::sparsevec > '{2:5}/2', 'ordered as the dense vectors: [1,0] > [0,5]');
SELECT ok('{1:-1}/2'::sparsevec < '{}/2', 'an absent element compares as 0');
SELECT ok('{1:1,2:2}/2'::sparsevec < '{1:1,2:2}/3', 'then fewer dimensions first');
SELECT results_eq($$SELECT id FROM s ORDER BY v, id$$, ARRAY[1, 3, 2, 4], 'ORDER BY uses the btree opclass, NULLs last');

SELECT * FROM finish();
ROLLBACK;
