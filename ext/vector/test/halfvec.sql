-- The halfvec type: half-precision I/O, rounding and range, typmod, casts, distances,
-- arithmetic, ordering and aggregates, with pgvector's errors.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(57);

-- Text input and output
SELECT is('[1,2,3]'::halfvec::text, '[1,2,3]', 'a literal round-trips');
SELECT is(E' [ 1 ,\t2 ,\n3 ] '::halfvec::text, '[1,2,3]', 'white space is allowed around every part');
SELECT is('[1.23456]'::halfvec::text, '[1.234375]', 'a value is rounded to the nearest half and printed as that float');
SELECT is('[65519,-65519]'::halfvec::text, '[65504,-65504]', 'just below 65520 rounds to the largest half');
SELECT is('[1e-8,-1e-8]'::halfvec::text, '[0,-0]', 'below the smallest half rounds to a signed zero');
SELECT is('[6e-8]'::halfvec::text, '[5.9604645e-08]', 'the smallest subnormal half is kept');
SELECT is('[2049]'::halfvec::text, '[2048]', 'a tie rounds to the even half');
SELECT is('[1e-46]'::halfvec::text, '[0]', 'float4 underflow is silently zero');

SELECT throws_ok($$SELECT ''::halfvec$$, '22P02', 'invalid input syntax for type halfvec: ""', 'an empty literal is refused');
SELECT throws_ok($$SELECT '[]'::halfvec$$, '22000', 'halfvec must have at least 1 dimension', 'an empty halfvec is refused');
SELECT throws_ok($$SELECT '[1,]'::halfvec$$, '22P02', 'invalid input syntax for type halfvec: "[1,]"', 'a trailing comma is refused');
SELECT throws_ok($$SELECT '[1,2'::halfvec$$, '22P02', 'invalid input syntax for type halfvec: "[1,2"', 'a missing ] is refused');
SELECT throws_ok($$SELECT '[65520]'::halfvec$$, '22003', '"65520" is out of range for type halfvec', 'a value that rounds to infinity names the token');
SELECT throws_ok($$SELECT '[4e38]'::halfvec$$, '22003', '"4e38" is out of range for type halfvec', 'float4 overflow is out of range too');
SELECT throws_ok($$SELECT '[NaN]'::halfvec$$, '22000', 'NaN not allowed in halfvec', 'NaN is refused');
SELECT throws_ok($$SELECT '[-Infinity]'::halfvec$$, '22000', 'infinite value not allowed in halfvec', 'infinity is refused');
SELECT throws_ok($$SELECT ('[' || repeat('1,', 16000) || '1]')::halfvec$$, '54000',
                 'halfvec cannot have more than 16000 dimensions', 'more than 16000 elements are refused');
SELECT is(vector_dims(('[' || repeat('1,', 15999) || '1]')::halfvec), 16000, '16000 elements are accepted');

-- Typmod
SELECT throws_ok($$SELECT '[1,2,3]'::halfvec(2)$$, '22000', 'expected 2 dimensions, not 3', 'the typmod is checked');
SELECT throws_ok($$SELECT '[1]'::halfvec(16001)$$, '22023', 'dimensions for type halfvec cannot exceed 16000', 'typmod above 16000 is refused');
SELECT throws_ok($$SELECT '[1]'::halfvec(0)$$, '22023', 'dimensions for type halfvec must be at least 1', 'typmod 0 is refused');
CREATE TEMP TABLE h (id int, v halfvec(2));
SELECT throws_ok($$INSERT INTO h VALUES (1, '[1,2,3]')$$, '22000', 'expected 2 dimensions, not 3', 'a column applies its typmod');

-- Binary form
SELECT is(halfvec_send('[1,2,-0.5]'), '\x000300003c004000b800'::bytea, 'binary form: int16 dims, int16 0, raw halves in network order');

-- Casts
SELECT is('[1.5,2,3]'::vector::halfvec::text, '[1.5,2,3]', 'vector casts to halfvec');
SELECT is('[1.5,2,3]'::halfvec::vector::text, '[1.5,2,3]', 'halfvec casts to vector');
SELECT throws_ok($$SELECT '[65520]'::vector::halfvec$$, '22003', '"65520" is out of range for type halfvec', 'a vector element beyond the half range is refused');
SELECT is('{1,2,3}'::real[]::halfvec::text, '[1,2,3]', 'real[] casts to halfvec');
SELECT is(ARRAY[1,2]::halfvec::text, '[1,2]', 'integer[] casts to halfvec');
SELECT is('[1,2]'::halfvec::real[], '{1,2}'::real[], 'halfvec casts to real[]');
SELECT throws_ok($$SELECT '{1,NULL}'::real[]::halfvec$$, '22004', 'array must not contain nulls', 'an array with NULL is refused');
SELECT throws_ok($$SELECT '{}'::real[]::halfvec$$, '22000', 'halfvec must have at least 1 dimension', 'an empty array is refused');
SELECT throws_ok($$SELECT '{4e38}'::float8[]::halfvec$$, '22000', 'infinite value not allowed in halfvec', 'a double beyond float4 is infinite');

-- Distances
SELECT is(l2_distance('[0,0]'::halfvec, '[3,4]'), 5::float8, 'l2_distance');
SELECT is('[1,2]'::halfvec <#> '[3,4]', -11::float8, '<#> is the negative inner product');
SELECT is(inner_product('[65504]'::halfvec, '[65504]'), 4290774016::float8, 'inner_product sums in float4 beyond the half range');
SELECT is(cosine_distance('[1,1]'::halfvec, '[-1,-1]'), 2::float8, 'cosine_distance of opposite vectors is 2');
SELECT is('[1,2]'::halfvec <=> '[0,0]', 'NaN'::float8, 'cosine distance to a zero vector is NaN');
SELECT is('[0,0]'::halfvec <+> '[3,4]', 7::float8, '<+> is the L1 distance');
SELECT is(halfvec_l2_squared_distance('[0,0]', '[3,4]'), 25::float8, 'the squared L2 distance (index support)');
SELECT is(halfvec_spherical_distance('[1,0]', '[0,1]'), 0.5::float8, 'the spherical distance of orthogonal unit vectors is 1/2 (index support)');
SELECT throws_ok($$SELECT '[1,2]'::halfvec <-> '[3]'$$, '22000', 'different halfvec dimensions 2 and 1', 'distances need equal dimensions');

-- Functions
SELECT is(l2_norm('[3,4]'::halfvec), 5::float8, 'l2_norm');
SELECT is(l2_normalize('[3,4]'::halfvec)::text, '[0.60009766,0.7998047]', 'l2_normalize rounds its result to halves');
SELECT is(l2_normalize('[0,0]'::halfvec)::text, '[0,0]', 'l2_normalize leaves a zero vector zero');
SELECT is(subvector('[1,2,3,4,5]'::halfvec, 2, 3)::text, '[2,3,4]', 'subvector is 1-based');
SELECT throws_ok($$SELECT subvector('[1,2,3]'::halfvec, 4, 1)$$, '22000', 'halfvec must have at least 1 dimension', 'subvector past the end is refused');

-- Arithmetic
SELECT is(('[1,2,3]'::halfvec + '[4,5,6]')::text, '[5,7,9]', '+ adds element-wise');
SELECT throws_ok($$SELECT '[65504]'::halfvec + '[65504]'$$, '22003', 'value out of range: overflow', '+ beyond the half range overflows');
SELECT throws_ok($$SELECT '[1e-7]'::halfvec * '[1e-7]'$$, '22003', 'value out of range: underflow', 'a non-zero product rounding to zero underflows');
SELECT is(('[1,2]'::halfvec || '[3]')::text, '[1,2,3]', '|| concatenates');
SELECT throws_ok($$SELECT array_fill(0, ARRAY[16000])::halfvec || '[1]'$$, '54000',
                 'halfvec cannot have more than 16000 dimensions', '|| keeps the dimension limit');

-- Ordering
SELECT ok('[1,2]'::halfvec < '[1,2,3]' AND '[2,3]'::halfvec > '[1,2,3]', 'element by element, then fewer dimensions first');
INSERT INTO h VALUES (1, '[3,0]'), (2, '[1,0]'), (3, '[1,0]'), (4, NULL);
SELECT results_eq($$SELECT DISTINCT v::text FROM h WHERE v IS NOT NULL ORDER BY 1$$, ARRAY['[1,0]', '[3,0]'], 'DISTINCT and ORDER BY use the btree opclass');

-- Aggregates
SELECT is((SELECT avg(v)::text FROM h), '[1.6669922,0]', 'avg averages in float8 and rounds to halves, NULLs ignored');
SELECT is((SELECT sum(v)::text FROM h), '[5,0]', 'sum adds element-wise');
SELECT throws_ok($$SELECT avg(v) FROM unnest(ARRAY['[1,2]'::halfvec, '[3]']) v$$, '22000', 'expected 2 dimensions, not 1', 'avg refuses mixed dimensions');
SELECT throws_ok($$SELECT halfvec_avg(array_agg(n)) FROM generate_series(1, 16002) n$$, '54000',
                 'halfvec cannot have more than 16000 dimensions', 'halfvec_avg keeps the dimension limit');

SELECT * FROM finish();
ROLLBACK;
