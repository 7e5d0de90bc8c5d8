-- Binary vectors on PostgreSQL's bit type: binary_quantize, hamming_distance (<~>) and
-- jaccard_distance (<%>), with pgvector's errors.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(17);

-- binary_quantize
SELECT is(binary_quantize('[1,0,-1]'::vector), B'100', 'binary_quantize sets the bits of positive elements');
SELECT is(binary_quantize('[0,0.1,-0.2,-0.3,0.4,0.5,0.6,-0.7,0.8,-0.9,1]'::vector), B'01001110101',
          'binary_quantize spans bytes, most significant bit first');
SELECT is(binary_quantize('[1,0,-1]'::halfvec), B'100', 'binary_quantize takes a halfvec too');
SELECT is(length(binary_quantize(array_fill(1, ARRAY[16000])::vector)), 16000, 'one bit per element');
SELECT is(binary_quantize('[-0]'::vector), B'0', 'negative zero is not positive');

-- hamming_distance
SELECT is(hamming_distance(B'111', B'100'), 2::float8, 'hamming_distance counts differing bits');
SELECT is(B'111' <~> B'000', 3::float8, '<~> is hamming_distance');
SELECT is(hamming_distance(repeat('10', 513)::bit(1026), repeat('01', 513)::bit(1026)), 1026::float8,
          'hamming_distance over many words and a partial last byte');
SELECT is(hamming_distance(B'', B''), 0::float8, 'empty bit strings are at distance 0');
SELECT throws_ok($$SELECT hamming_distance(B'111', B'00')$$, '22000', 'different bit lengths 3 and 2', 'hamming_distance needs equal lengths');
SELECT is(hamming_distance(B'111', B'000'::varbit(4)), 3::float8, 'a varbit of the same length is accepted');

-- jaccard_distance
SELECT is(jaccard_distance(B'1111', B'1100'), 0.5::float8, 'jaccard_distance is 1 - |a and b| / |a or b|');
SELECT is(B'1100' <%> B'1000', 0.5::float8, '<%> is jaccard_distance');
SELECT is(jaccard_distance(B'1111', B'0000'), 1::float8, 'disjoint sets are at distance 1');
SELECT is(jaccard_distance(B'0000', B'0000'), 1::float8, 'two empty sets are at distance 1 (pgvector)');
SELECT throws_ok($$SELECT jaccard_distance(B'1111', B'000')$$, '22000', 'different bit lengths 4 and 3', 'jaccard_distance needs equal lengths');

-- In a query
CREATE TEMP TABLE b (id int, v bit(4));
INSERT INTO b VALUES (1, B'1111'), (2, B'1000'), (3, B'0001');
SELECT results_eq($$SELECT id FROM b ORDER BY v <~> B'1001', id$$, ARRAY[2, 3, 1], 'ORDER BY <~> orders by Hamming distance');

SELECT * FROM finish();
ROLLBACK;
