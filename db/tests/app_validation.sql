-- The seed's "Data Validation Rules" (db/migrations/002_create_tables.sql): for every rule a good
-- row is accepted and each bad value is refused with SQLSTATE 23514 and, through the violated
-- constraint's comment, the seed's own message.
BEGIN;
\ir lib/helpers.sql
SELECT plan(68);

SELECT test.create_user('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a@example.com');
INSERT INTO courses (id, user_id, name)
VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'Biology 101');

-- academic ------------------------------------------------------------------------------

SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester, subject)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Bachelor}', 'double', 3, '{computer science,english}')$$),
    'accepted', 'academic: the seed''s example profile is accepted');
SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester, subject)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Bachelor,Masters}', 'tri', 12,
            '{computer science,electrical and electronics engineering,english,business administration,economics}')$$),
    'accepted', 'academic: both grades, tri, semester 12 and every valid subject are accepted');
SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Masters}', 'double', 1)$$),
    'accepted', 'academic: semester 1 and no subjects (the default) are accepted');

SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{PhD}', 'double', 3)$$),
    '23514 Invalid grade value', 'academic: a grade outside Bachelor/Masters is refused');
SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Bachelor,PhD}', 'double', 3)$$),
    '23514 Invalid grade value', 'academic: one invalid grade among valid ones is refused');
SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{bachelor}', 'double', 3)$$),
    '23514 Invalid grade value', 'academic: grades are case-sensitive');
SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', ARRAY[NULL]::text[], 'double', 3)$$),
    '23514 Invalid grade value', 'academic: a NULL grade is refused');
SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{{Bachelor}}', 'double', 3)$$),
    '23514 Invalid grade value', 'academic: a two-dimensional grade array is refused');
SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{}', 'double', 3)$$),
    '23514 At least one grade must be specified', 'academic: an empty grade array is refused');
SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Bachelor}', 'quarter', 3)$$),
    '23514 Invalid semester type', 'academic: a semester type other than double/tri is refused');
SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Bachelor}', '', 3)$$),
    '23514 Invalid semester type', 'academic: an empty semester type is refused');
SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Bachelor}', 'double', 0)$$),
    '23514 Semester must be between 1 and 12', 'academic: semester 0 is refused');
SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Bachelor}', 'double', 13)$$),
    '23514 Semester must be between 1 and 12', 'academic: semester 13 is refused');
SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester, subject)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Bachelor}', 'double', 3, '{biology}')$$),
    '23514 Invalid subject', 'academic: a subject outside the valid list is refused');
SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester, subject)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Bachelor}', 'double', 3, '{english,biology}')$$),
    '23514 Invalid subject', 'academic: one invalid subject among valid ones is refused');
SELECT is(test.outcome($$INSERT INTO academic (id, grade, semester_type, semester, subject)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Bachelor}', 'double', 3, '{{english}}')$$),
    '23514 Invalid subject', 'academic: a two-dimensional subject array is refused');

INSERT INTO academic (id, grade, semester_type, semester)
VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Bachelor}', 'double', 3);
SELECT is(test.outcome($$UPDATE academic SET semester = 13$$),
    '23514 Semester must be between 1 and 12', 'academic: the rules hold for updates too');

-- personalized --------------------------------------------------------------------------

SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
    '{"detail_level": 0.7, "example_preference": 0.8, "analogy_preference": 0.6,
      "technical_language": 0.5, "structure_preference": 0.7, "visual_preference": 0.9,
      "learning_pace": "moderate", "prior_experience": "intermediate"}')$$),
    'accepted', 'personalized: the seed''s example preferences are accepted');
SELECT is(test.outcome($$INSERT INTO personalized (id) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')$$),
    'accepted', 'personalized: empty preferences (the default) are accepted');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
    '{"detail_level": 0, "visual_preference": 1, "learning_pace": "slow", "prior_experience": "expert", "theme": "dark"}')$$),
    'accepted', 'personalized: the bounds 0 and 1 and fields the seed does not name are accepted');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
    '{"learning_pace": "fast", "prior_experience": "beginner"}')$$),
    'accepted', 'personalized: learning_pace fast and prior_experience beginner are accepted');

SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '[0.7]')$$),
    '23514 Invalid JSON format', 'personalized: prefs that are an array, not an object, are refused');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '"detail_level"')$$),
    '23514 Invalid JSON format', 'personalized: prefs that are a string are refused');
SELECT matches(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"detail_level": ')$$),
    '^22P02 invalid input syntax for type json', 'personalized: text that is not JSON is refused by the jsonb type');

SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"detail_level": 1.5}')$$),
    '23514 Detail level must be 0-1', 'personalized: detail_level above 1 is refused');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"detail_level": -0.1}')$$),
    '23514 Detail level must be 0-1', 'personalized: detail_level below 0 is refused');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"detail_level": "0.5"}')$$),
    '23514 Detail level must be 0-1', 'personalized: detail_level as a string is refused');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"detail_level": null}')$$),
    '23514 Detail level must be 0-1', 'personalized: detail_level null is refused');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"example_preference": 1.01}')$$),
    '23514 Example preference must be 0-1', 'personalized: example_preference above 1 is refused');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"analogy_preference": -1}')$$),
    '23514 Analogy preference must be 0-1', 'personalized: analogy_preference below 0 is refused');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"technical_language": 2}')$$),
    '23514 Technical language must be 0-1', 'personalized: technical_language above 1 is refused');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"structure_preference": true}')$$),
    '23514 Structure preference must be 0-1', 'personalized: structure_preference as a boolean is refused');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"visual_preference": 90}')$$),
    '23514 Visual preference must be 0-1', 'personalized: visual_preference above 1 is refused');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"learning_pace": "medium"}')$$),
    '23514 Invalid learning pace', 'personalized: a learning_pace other than slow/moderate/fast is refused');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"learning_pace": 1}')$$),
    '23514 Invalid learning pace', 'personalized: learning_pace as a number is refused');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"learning_pace": ["fast"]}')$$),
    '23514 Invalid learning pace', 'personalized: learning_pace as an array is refused');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"prior_experience": "novice"}')$$),
    '23514 Invalid experience level', 'personalized: a prior_experience outside the four levels is refused');
SELECT is(test.outcome($$INSERT INTO personalized (id, prefs) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"prior_experience": null}')$$),
    '23514 Invalid experience level', 'personalized: prior_experience null is refused');

-- courses -------------------------------------------------------------------------------

SELECT is(test.outcome($$INSERT INTO courses (user_id, name)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', repeat('é', 255))$$),
    'accepted', 'courses: a name of 255 characters (510 bytes) is accepted');
SELECT is(test.outcome($$INSERT INTO courses (user_id, name) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '')$$),
    '23514 Course name is required', 'courses: an empty name is refused');
SELECT is(test.outcome($$INSERT INTO courses (user_id, name) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', E' \t ')$$),
    '23514 Course name is required', 'courses: a name of only white space is refused');
SELECT matches(test.outcome($$INSERT INTO courses (user_id, name) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', NULL)$$),
    '^23502 ', 'courses: a missing name is refused as a not-null violation');
SELECT is(test.outcome($$INSERT INTO courses (user_id, name)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', repeat('x', 256))$$),
    '23514 Course name too long', 'courses: a name of 256 characters is refused');

-- materials -----------------------------------------------------------------------------

SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'Introduction to Neural Networks.pdf',
            'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/neural_networks.pdf',
            'application/pdf', 2048576)$$),
    'accepted', 'materials: the seed''s example PDF is accepted');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'a.jpg', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/a.jpg', 'image/jpeg', 1),
           ('aaaaaaaa-0000-4000-8000-00000000c001', 'a.png', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/a.png', 'image/png', 1),
           ('aaaaaaaa-0000-4000-8000-00000000c001', 'a.gif', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/a.gif', 'image/gif', 1),
           ('aaaaaaaa-0000-4000-8000-00000000c001', 'a.webp', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/a.webp', 'image/webp', 1)$$),
    'accepted', 'materials: JPEG, PNG, GIF and WebP images of 1 byte are accepted');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'big.pdf', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/big.pdf', 'application/pdf', 52428800)$$),
    'accepted', 'materials: a file of exactly 50MB (52428800 bytes) is accepted');

SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', '', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/x.pdf', 'application/pdf', 10)$$),
    '23514 File name is required', 'materials: an empty name is refused');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', '   ', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/x.pdf', 'application/pdf', 10)$$),
    '23514 File name is required', 'materials: a name of only spaces is refused');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'x.pdf', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/x.pdf', 'application/pdf', 0)$$),
    '23514 File size must be greater than 0', 'materials: a size of 0 is refused');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'x.pdf', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/x.pdf', 'application/pdf', -1)$$),
    '23514 File size must be greater than 0', 'materials: a negative size is refused');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'x.pdf', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/x.pdf', 'application/pdf', 52428801)$$),
    '23514 File size exceeds 50MB limit', 'materials: a size of 50MB plus one byte is refused');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'x.txt', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/x.txt', 'text/plain', 10)$$),
    'accepted', 'materials: text/plain is accepted (migration 008 extends the seed for the tutor)');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'x.md', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/x.md', 'text/markdown', 10)$$),
    'accepted', 'materials: text/markdown is accepted (migration 008 extends the seed for the tutor)');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'x.html', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/x.html', 'text/html', 10)$$),
    '23514 Invalid file type', 'materials: text/html is refused');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'x.svg', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/x.svg', 'image/svg+xml', 10)$$),
    '23514 Invalid file type', 'materials: image/svg+xml is refused');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'x.pdf', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/x.pdf', '', 10)$$),
    '23514 Invalid file type', 'materials: an empty file type is refused');

-- chat_history --------------------------------------------------------------------------

SELECT is(test.outcome($$INSERT INTO chat_history (course_id, history)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001',
            ARRAY['{"role": "user", "content": "What is machine learning?"}',
                  '{"role": "model", "content": "Machine learning is a subset of AI..."}']::jsonb[])$$),
    'accepted', 'chat_history: the seed''s example conversation is accepted');
SELECT is(test.outcome($$INSERT INTO chat_history (course_id) VALUES ('aaaaaaaa-0000-4000-8000-00000000c001')$$),
    'accepted', 'chat_history: an empty history (the default) is accepted');

SELECT is(test.outcome($$INSERT INTO chat_history (course_id, history)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', ARRAY['"hello"']::jsonb[])$$),
    '23514 Invalid history format', 'chat_history: a message that is not an object is refused');
SELECT is(test.outcome($$INSERT INTO chat_history (course_id, history)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', ARRAY[NULL]::jsonb[])$$),
    '23514 Invalid history format', 'chat_history: a NULL message is refused');
SELECT is(test.outcome($$INSERT INTO chat_history (course_id, history)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001',
            ARRAY[ARRAY['{"role": "user", "content": "hi"}']]::jsonb[])$$),
    '23514 Invalid history format', 'chat_history: a two-dimensional history is refused');
SELECT is(test.outcome($$INSERT INTO chat_history (course_id, history)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', ARRAY['{"role": "assistant", "content": "hi"}']::jsonb[])$$),
    '23514 Invalid message role', 'chat_history: a role other than user/model is refused');
SELECT is(test.outcome($$INSERT INTO chat_history (course_id, history)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', ARRAY['{"content": "hi"}']::jsonb[])$$),
    '23514 Invalid message role', 'chat_history: a message without a role is refused');
SELECT is(test.outcome($$INSERT INTO chat_history (course_id, history)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001',
            ARRAY['{"role": "user", "content": "hi"}', '{"role": "system", "content": "hi"}']::jsonb[])$$),
    '23514 Invalid message role', 'chat_history: a bad role in a later message is refused');
SELECT is(test.outcome($$INSERT INTO chat_history (course_id, history)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', ARRAY['{"role": "user", "content": ""}']::jsonb[])$$),
    '23514 Message content is required', 'chat_history: an empty content is refused');
SELECT is(test.outcome($$INSERT INTO chat_history (course_id, history)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', ARRAY['{"role": "model"}']::jsonb[])$$),
    '23514 Message content is required', 'chat_history: a message without content is refused');
SELECT is(test.outcome($$INSERT INTO chat_history (course_id, history)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', ARRAY['{"role": "user", "content": 42}']::jsonb[])$$),
    '23514 Message content is required', 'chat_history: a content that is not a string is refused');
SELECT is(test.outcome($$INSERT INTO chat_history (course_id, history)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001',
            ARRAY['{"role": "user", "content": "hi"}', '{"role": "model", "content": " \n "}']::jsonb[])$$),
    '23514 Message content is required', 'chat_history: a blank content in a later message is refused');

SELECT * FROM finish();
ROLLBACK;
