-- The avg aggregates' state functions (vector_accum, vector_combine, vector_avg and halfvec's),
-- called directly as pgvector's tests do: state checks, dimension limits and overflow, with
-- pgvector's errors.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(17);

-- The state is a float8[] {count, sum_1, ..., sum_n}
SELECT is(vector_accum('{0}', '[1,2]'), '{1,1,2}'::float8[], 'vector_accum starts from {0}');
SELECT is(vector_accum('{1,1,2}', '[3,4]'), '{2,4,6}'::float8[], 'vector_accum adds the count and the elements');
SELECT is(vector_combine('{1,1,2}', '{2,4,6}'), '{3,5,8}'::float8[], 'vector_combine adds two states');
SELECT is(vector_combine('{0}', '{2,4,6}'), '{2,4,6}'::float8[], 'vector_combine with an empty state keeps the other');
SELECT is(vector_avg('{2,4,6}')::text, '[2,3]', 'vector_avg divides the sums by the count');
SELECT is(vector_avg('{0}'), NULL, 'vector_avg of no rows is NULL');

-- Malformed states
SELECT throws_ok($$SELECT vector_accum('{}', '[1]')$$, 'XX000', 'vector_accum: expected state array', 'an empty state is refused');
SELECT throws_ok($$SELECT vector_combine('{{1}}', '{0}')$$, 'XX000', 'vector_combine: expected state array', 'a 2-D state is refused');
SELECT throws_ok($$SELECT vector_avg('{1,NULL}')$$, 'XX000', 'vector_avg: expected state array', 'a state with NULL is refused');
SELECT throws_ok($$SELECT halfvec_accum('{}', '[1]')$$, 'XX000', 'halfvec_accum: expected state array', 'halfvec_accum names itself');

-- Dimensions
SELECT throws_ok($$SELECT vector_accum('{1,1}', '[1,2]')$$, '22000', 'expected 1 dimensions, not 2', 'vector_accum refuses another dimension count');
SELECT throws_ok($$SELECT vector_combine('{1,1}', '{1,1,2}')$$, '22000', 'expected 1 dimensions, not 2', 'vector_combine refuses another dimension count');
SELECT throws_ok($$SELECT vector_avg(array_agg(n)) FROM generate_series(1, 16002) n$$, '54000',
                 'vector cannot have more than 16000 dimensions', 'vector_avg keeps the dimension limit');

-- Overflow and non-finite means
SELECT throws_ok($$SELECT vector_combine('{1,1e308}', '{1,1e308}')$$, '22003', 'value out of range: overflow', 'vector_combine refuses a sum that overflows');
SELECT throws_ok($$SELECT vector_accum('{1,Infinity}', '[1]')$$, '22003', 'value out of range: overflow', 'vector_accum refuses an infinite sum');
SELECT throws_ok($$SELECT vector_avg('{1,1e39}')$$, '22000', 'infinite value not allowed in vector', 'a mean beyond float4 is refused');
SELECT is((SELECT avg(v)::text FROM unnest(ARRAY['[3e38]'::vector, '[3e38]']) v), '[3e+38]', 'avg sums in float8, so large values do not overflow');

SELECT * FROM finish();
ROLLBACK;
