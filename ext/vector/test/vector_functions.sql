-- The vector functions and operators: distances against hand-computed values, norms,
-- arithmetic, casts, ordering, aggregates, and exact nearest-neighbour search.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(47);

-- Distances between [1,2,3] and [3,2,1]: differences (-2,0,2), dot 10, both norms sqrt(14).
SELECT is(round(l2_distance('[1,2,3]'::vector, '[3,2,1]')::numeric, 12), round(sqrt(8)::numeric, 12), 'l2_distance = sqrt(8)');
SELECT is(round(('[1,2,3]'::vector <-> '[3,2,1]')::numeric, 12), round(sqrt(8)::numeric, 12), '<-> is l2_distance');
SELECT is(vector_l2_squared_distance('[1,2,3]', '[3,2,1]'), 8::float8, 'squared L2 distance = 8');
SELECT is(inner_product('[1,2,3]'::vector, '[3,2,1]'), 10::float8, 'inner_product = 10');
SELECT is('[1,2,3]'::vector <#> '[3,2,1]', -10::float8, '<#> is the negative inner product');
SELECT is(round(cosine_distance('[1,2,3]'::vector, '[3,2,1]')::numeric, 7), round(4 / 14.0, 7), 'cosine_distance = 1 - 10/14');
SELECT is(round(('[1,2,3]'::vector <=> '[3,2,1]')::numeric, 7), round(4 / 14.0, 7), '<=> is cosine_distance');
SELECT is('[1,1]'::vector <=> '[-1,-1]', 2::float8, 'opposite vectors are at cosine distance 2');
SELECT is('[1,0]'::vector <=> '[0,5]', 1::float8, 'orthogonal vectors are at cosine distance 1');
SELECT is('[0,0]'::vector <=> '[1,1]', 'NaN'::float8, 'cosine distance to a zero vector is NaN');
SELECT is(l1_distance('[1,2,3]'::vector, '[3,2,1]'), 4::float8, 'l1_distance = 4');
SELECT is('[1,2,3]'::vector <+> '[3,2,1]', 4::float8, '<+> is l1_distance');
SELECT throws_ok($$SELECT '[1,2]'::vector <-> '[1]'$$, '22000', 'different vector dimensions 2 and 1', 'distances need equal dimensions (left first)');
SELECT throws_ok($$SELECT cosine_distance('[1]'::vector, '[1,2]')$$, '22000', 'different vector dimensions 1 and 2', 'every distance checks dimensions');

-- Norms
SELECT is(vector_norm('[3,4]'), 5::float8, 'vector_norm([3,4]) = 5');
SELECT is(l2_normalize('[3,4]'::vector)::text, '[0.6,0.8]', 'l2_normalize scales to unit length');
SELECT is(l2_normalize('[0,0]'::vector)::text, '[0,0]', 'l2_normalize leaves a zero vector zero');

-- Arithmetic, concatenation, slices
SELECT is(('[1,2]'::vector + '[3,4]')::text, '[4,6]', '+ adds element-wise');
SELECT is(('[1,2]'::vector - '[3,5]')::text, '[-2,-3]', '- subtracts element-wise');
SELECT is(('[1,2]'::vector * '[3,4]')::text, '[3,8]', '* multiplies element-wise');
SELECT is(('[1,2]'::vector || '[3]')::text, '[1,2,3]', '|| concatenates');
SELECT throws_ok($$SELECT '[3e38]'::vector + '[3e38]'$$, '22003', 'value out of range: overflow', '+ refuses to overflow');
SELECT throws_ok($$SELECT '[1e-30]'::vector * '[1e-30]'$$, '22003', 'value out of range: underflow', '* refuses to underflow');
SELECT is(subvector('[1,2,3,4,5]'::vector, 2, 3)::text, '[2,3,4]', 'subvector is 1-based');
SELECT is(subvector('[1,2,3,4,5]'::vector, -1, 3)::text, '[1]', 'a start before 1 is clipped, the end is kept');
SELECT is(subvector('[1,2,3,4,5]'::vector, 4, 10)::text, '[4,5]', 'an end past the last element is truncated');
SELECT throws_ok($$SELECT subvector('[1,2,3]'::vector, 4, 1)$$, '22000', 'vector must have at least 1 dimension', 'a start past the end is refused');

-- Casts
SELECT is(ARRAY[1,2,3]::vector::text, '[1,2,3]', 'integer[] casts to vector');
SELECT is('{1.5,2.5}'::real[]::vector::text, '[1.5,2.5]', 'real[] casts to vector');
SELECT is('{1.5,2.5}'::float8[]::vector::text, '[1.5,2.5]', 'double precision[] casts to vector');
SELECT is('{1.5,2.5}'::numeric[]::vector::text, '[1.5,2.5]', 'numeric[] casts to vector');
SELECT is('[1,2]'::vector::real[], '{1,2}'::real[], 'vector casts to real[]');
SELECT throws_ok($$SELECT '{{1,2},{3,4}}'::int[]::vector$$, '22000', 'array must be 1-D', 'a 2-D array is refused');
SELECT throws_ok($$SELECT '{1,NULL}'::int[]::vector$$, '22004', 'array must not contain nulls', 'NULL elements are refused');
SELECT throws_ok($$SELECT '{}'::int[]::vector$$, '22000', 'vector must have at least 1 dimension', 'an empty array is refused');
SELECT throws_ok($$SELECT '{4e38}'::float8[]::vector$$, '22000', 'infinite value not allowed in vector', 'a value beyond float4 is refused');
SELECT ok(ARRAY[1,2,3] = ARRAY[1,2,3], 'array equality stays unambiguous with the casts installed');

-- Ordering: element by element, then fewer dimensions first
SELECT ok('[1,2]'::vector < '[1,2,3]', 'a prefix sorts first');
SELECT ok('[2,3]'::vector > '[1,2,3]', 'the first differing element decides');
SELECT is(vector_cmp('[1,2,3]', '[1,2,3]'), 0, 'vector_cmp of equal vectors is 0');
CREATE TEMP TABLE items (id int, v vector(2));
INSERT INTO items VALUES (1, '[3,0]'), (2, '[1,0]'), (3, '[1,0]'), (4, '[0,2]'), (5, '[2,2]');
SELECT results_eq('SELECT DISTINCT v::text FROM items ORDER BY 1', ARRAY['[0,2]', '[1,0]', '[2,2]', '[3,0]'],
                  'DISTINCT and ORDER BY work on vectors');

-- Aggregates
SELECT is((SELECT avg(v)::text FROM items), '[1.4,0.8]', 'avg averages element-wise');
SELECT is((SELECT sum(v)::text FROM items), '[7,4]', 'sum adds element-wise');
SELECT is((SELECT avg(v) FROM items WHERE false), NULL, 'avg of no rows is NULL');
SELECT throws_ok($$SELECT avg(v) FROM (VALUES ('[1,2]'::vector), ('[1,2,3]')) AS t(v)$$, '22000',
                 'expected 2 dimensions, not 3', 'avg refuses mixed dimensions');

-- Exact nearest neighbours, by sequential scan
CREATE TEMP TABLE line (id int, v vector(2));
INSERT INTO line SELECT i, ARRAY[i, 0]::vector FROM generate_series(1, 10) AS i;
SELECT results_eq($$SELECT id FROM line ORDER BY v <-> '[4.2,0]' LIMIT 3$$, ARRAY[4, 5, 3],
                  'ORDER BY <-> LIMIT k returns the k nearest, nearest first');
CREATE TEMP TABLE directions (id int, v vector(2));
INSERT INTO directions VALUES (1, '[1,0]'), (2, '[1,1]'), (3, '[0,1]'), (4, '[-1,0.1]');
SELECT results_eq($$SELECT id FROM directions ORDER BY v <=> '[1,0.2]' LIMIT 4$$, ARRAY[1, 2, 3, 4],
                  'ORDER BY <=> orders by angle');

SELECT * FROM finish();
ROLLBACK;
