-- The vector type: text and binary I/O, typmod, limits and pgvector's errors.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT plan(36);

-- Text input and output
SELECT is('[1,2,3]'::vector::text, '[1,2,3]', 'a literal round-trips');
SELECT is(E' [ 1 ,\t2 ,\n3 ] '::vector::text, '[1,2,3]', 'white space is allowed around every part');
SELECT is('[1e-07,1.2345679e+08]'::vector::text, '[1e-07,1.2345679e+08]', 'output is the shortest text that reads back the same float4');
SELECT is('[1.5e38]'::vector::text, '[1.5e+38]', 'large values print with an exponent');
SELECT is('[-0,1]'::vector::text, '[-0,1]', 'negative zero keeps its sign');
SELECT is('[1e-46]'::vector::text, '[0]', 'underflow is silently zero');
SELECT is('[0.1]'::vector::text, '[0.1]', '0.1 prints as 0.1, not its float4 expansion');

SELECT throws_ok($$SELECT ''::vector$$, '22P02', 'invalid input syntax for type vector: ""', 'an empty literal is refused');
SELECT throws_ok($$SELECT '1,2'::vector$$, '22P02', 'invalid input syntax for type vector: "1,2"', 'a literal must start with [');
SELECT throws_ok($$SELECT '[]'::vector$$, '22000', 'vector must have at least 1 dimension', 'an empty vector is refused');
SELECT throws_ok($$SELECT '[ ]'::vector$$, '22000', 'vector must have at least 1 dimension', 'a blank vector is refused');
SELECT throws_ok($$SELECT '[1,]'::vector$$, '22P02', 'invalid input syntax for type vector: "[1,]"', 'a trailing comma is refused');
SELECT throws_ok($$SELECT '[1,,3]'::vector$$, '22P02', 'invalid input syntax for type vector: "[1,,3]"', 'an empty element is refused');
SELECT throws_ok($$SELECT '[1a]'::vector$$, '22P02', 'invalid input syntax for type vector: "[1a]"', 'junk inside a number is refused');
SELECT throws_ok($$SELECT '[1,2'::vector$$, '22P02', 'invalid input syntax for type vector: "[1,2"', 'a missing ] is refused');
SELECT throws_ok($$SELECT '[1] x'::vector$$, '22P02', 'invalid input syntax for type vector: "[1] x"', 'text after ] is refused');
SELECT throws_ok($$SELECT '[4e38]'::vector$$, '22003', '"4e38" is out of range for type vector', 'float4 overflow names the token');
SELECT throws_ok($$SELECT '[NaN]'::vector$$, '22000', 'NaN not allowed in vector', 'NaN is refused');
SELECT throws_ok($$SELECT '[Infinity]'::vector$$, '22000', 'infinite value not allowed in vector', 'infinity is refused');
SELECT throws_ok($$SELECT '[-inf]'::vector$$, '22000', 'infinite value not allowed in vector', 'negative infinity is refused');
SELECT throws_ok($$SELECT ('[' || repeat('1,', 16000) || '1]')::vector$$, '54000',
                 'vector cannot have more than 16000 dimensions', 'more than 16000 elements are refused');
SELECT is(vector_dims(('[' || repeat('1,', 15999) || '1]')::vector), 16000, '16000 elements are accepted');

-- Typmod
CREATE TEMP TABLE embeddings (v vector(3));
SELECT lives_ok($$INSERT INTO embeddings VALUES ('[1,2,3]')$$, 'vector(3) takes three values');
SELECT throws_ok($$INSERT INTO embeddings VALUES ('[1,2]')$$, '22000', 'expected 3 dimensions, not 2', 'vector(3) refuses two values');
SELECT throws_ok($$SELECT '[1,2,3]'::vector(2)$$, '22000', 'expected 2 dimensions, not 3', 'a cast to vector(2) checks the dimensions');
CREATE TEMP TABLE minilm (embedding vector(384));
SELECT throws_ok($$INSERT INTO minilm SELECT array_fill(0.5, ARRAY[383])::vector$$, '22000', 'expected 384 dimensions, not 383',
                 'vector(384) refuses 383 values');
SELECT throws_ok($$SELECT '[1]'::vector(0)$$, '22023', 'dimensions for type vector must be at least 1', 'typmod 0 is refused');
SELECT throws_ok($$SELECT '[1]'::vector(16001)$$, '22023', 'dimensions for type vector cannot exceed 16000', 'typmod 16001 is refused');
SELECT throws_ok($$SELECT '[1]'::vector(1, 2)$$, '22023', 'invalid type modifier', 'two typmods are refused');

-- Binary send and receive
SELECT is(vector_send('[1,2]'), '\x000200003f80000040000000'::bytea, 'binary form: int16 dims, int16 zero, float4s in network order');
CREATE TEMP TABLE binary_copy (v vector);
INSERT INTO binary_copy VALUES ('[1.5,-2,3e-05]'), ('[-0,16000]');
DO $$ BEGIN
    PERFORM set_config('test.copy_file', '/tmp/vector_binary_' || pg_backend_pid() || '.copy', true);
    EXECUTE format('COPY binary_copy TO %L (FORMAT binary)', current_setting('test.copy_file'));
END $$;
CREATE TEMP TABLE binary_back (v vector(3));
SELECT throws_ok(format('COPY binary_back FROM %L (FORMAT binary)', current_setting('test.copy_file')),
                 '22000', 'expected 3 dimensions, not 2', 'binary receive checks the typmod');
CREATE TEMP TABLE binary_same (v vector);
SELECT lives_ok(format('COPY binary_same FROM %L (FORMAT binary)', current_setting('test.copy_file')),
                'binary COPY reads back what it wrote');
SELECT results_eq('SELECT v::text FROM binary_same', ARRAY['[1.5,-2,3e-05]', '[-0,16000]'],
                  'binary round trip keeps every value, signs included');
DO $$ BEGIN
    EXECUTE format('COPY (SELECT 1) TO PROGRAM %L', 'rm -f ' || current_setting('test.copy_file'));
END $$;
SELECT is(pg_column_size('[1,2,3]'::vector), 20, 'a vector takes 8 + 4 * dims bytes');
SELECT is(vector_dims('[1,2,3,4]'::vector), 4, 'vector_dims counts the elements');
SELECT is((SELECT format_type(atttypid, atttypmod) FROM pg_attribute
           WHERE attrelid = 'minilm'::regclass AND attname = 'embedding'), 'vector(384)', 'the column type reads vector(384)');

SELECT * FROM finish();
ROLLBACK;
