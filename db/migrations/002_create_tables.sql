-- The seed's 002: the five app tables, their indexes, the updated_at triggers, and the seed's
-- "Data Validation Rules" as named constraints.
--
-- Every rule is a named CHECK constraint whose COMMENT is the seed's error message, so a client
-- of the API gets the seed's words: a violation raises SQLSTATE 23514 with the constraint's
-- name in the error's constraint field, and the API reads the message with
--   SELECT obj_description(oid, 'pg_constraint') FROM pg_constraint
--   WHERE conrelid = '<schema>.<table>'::regclass AND conname = '<constraint>'
-- Rules a plain CHECK cannot state (per-field rules inside JSONB, per-message rules inside the
-- JSONB[] history) call the small IMMUTABLE functions defined first.
--
-- Where the seed's own snippet would not enforce its rule, the rule wins:
--   array_length(grade, 1) > 0 is NULL, so passes, for an empty array: cardinality() is used.
--   grade <@ ARRAY[...] alone accepts a two-dimensional array: one dimension is required.
--   `$ ... $` is not a dollar quote: the trigger function uses $$.

-- personalized.prefs --------------------------------------------------------------------

-- True unless prefs is an object holding `field` with anything but a number in 0..1.
-- (A prefs that is not an object is the prefs_is_object constraint's business.)
CREATE FUNCTION prefs_field_is_unit_number(prefs jsonb, field text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT jsonb_typeof(prefs) IS DISTINCT FROM 'object'
        OR NOT prefs ? field
        OR CASE WHEN jsonb_typeof(prefs -> field) = 'number'
                THEN (prefs -> field)::numeric BETWEEN 0 AND 1
                ELSE false END
$$;

-- True unless prefs is an object holding `field` with anything but one of the allowed strings.
CREATE FUNCTION prefs_field_is_one_of(prefs jsonb, field text, allowed text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT jsonb_typeof(prefs) IS DISTINCT FROM 'object'
        OR NOT prefs ? field
        OR coalesce(jsonb_typeof(prefs -> field) = 'string' AND prefs ->> field = ANY (allowed), false)
$$;

-- chat_history.history ------------------------------------------------------------------

-- True if history is a one-dimensional array (possibly empty) of JSON objects, without NULLs.
CREATE FUNCTION history_is_list_of_objects(history jsonb[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(array_ndims(history), 1) = 1
       AND NOT EXISTS (SELECT 1 FROM unnest(history) AS message
                       WHERE message IS NULL OR jsonb_typeof(message) <> 'object')
$$;

-- True unless some message object has a role other than the string 'user' or 'model'.
CREATE FUNCTION history_roles_are_valid(history jsonb[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT NOT EXISTS (SELECT 1 FROM unnest(history) AS message
                       WHERE jsonb_typeof(message) = 'object'
                         AND coalesce(message ->> 'role' NOT IN ('user', 'model'), true))
$$;

-- True unless some message object lacks a content string with at least one non-space character.
CREATE FUNCTION history_contents_are_present(history jsonb[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT NOT EXISTS (SELECT 1 FROM unnest(history) AS message
                       WHERE jsonb_typeof(message) = 'object'
                         AND NOT coalesce(jsonb_typeof(message -> 'content') = 'string'
                                          AND message ->> 'content' ~ '[^[:space:]]', false))
$$;

-- Tables --------------------------------------------------------------------------------

CREATE TABLE academic (
    id            uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
    grade         text[] NOT NULL,
    semester_type text NOT NULL,
    semester      integer NOT NULL,
    subject       text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz DEFAULT now(),
    updated_at    timestamptz DEFAULT now(),
    CONSTRAINT academic_grade_allowed
        CHECK (grade <@ ARRAY['Bachelor', 'Masters'] AND coalesce(array_ndims(grade), 1) = 1),
    CONSTRAINT academic_grade_not_empty
        CHECK (cardinality(grade) > 0),
    CONSTRAINT academic_semester_type_allowed
        CHECK (semester_type IN ('double', 'tri')),
    CONSTRAINT academic_semester_range
        CHECK (semester BETWEEN 1 AND 12),
    CONSTRAINT academic_subject_allowed
        CHECK (subject <@ ARRAY['computer science', 'electrical and electronics engineering',
                                'english', 'business administration', 'economics']
               AND coalesce(array_ndims(subject), 1) = 1)
);
COMMENT ON CONSTRAINT academic_grade_allowed ON academic IS 'Invalid grade value';
COMMENT ON CONSTRAINT academic_grade_not_empty ON academic IS 'At least one grade must be specified';
COMMENT ON CONSTRAINT academic_semester_type_allowed ON academic IS 'Invalid semester type';
COMMENT ON CONSTRAINT academic_semester_range ON academic IS 'Semester must be between 1 and 12';
COMMENT ON CONSTRAINT academic_subject_allowed ON academic IS 'Invalid subject';

CREATE TABLE personalized (
    id         uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
    prefs      jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    CONSTRAINT personalized_prefs_is_object
        CHECK (jsonb_typeof(prefs) = 'object'),
    CONSTRAINT personalized_detail_level_range
        CHECK (prefs_field_is_unit_number(prefs, 'detail_level')),
    CONSTRAINT personalized_example_preference_range
        CHECK (prefs_field_is_unit_number(prefs, 'example_preference')),
    CONSTRAINT personalized_analogy_preference_range
        CHECK (prefs_field_is_unit_number(prefs, 'analogy_preference')),
    CONSTRAINT personalized_technical_language_range
        CHECK (prefs_field_is_unit_number(prefs, 'technical_language')),
    CONSTRAINT personalized_structure_preference_range
        CHECK (prefs_field_is_unit_number(prefs, 'structure_preference')),
    CONSTRAINT personalized_visual_preference_range
        CHECK (prefs_field_is_unit_number(prefs, 'visual_preference')),
    CONSTRAINT personalized_learning_pace_allowed
        CHECK (prefs_field_is_one_of(prefs, 'learning_pace', ARRAY['slow', 'moderate', 'fast'])),
    CONSTRAINT personalized_prior_experience_allowed
        CHECK (prefs_field_is_one_of(prefs, 'prior_experience',
                                     ARRAY['beginner', 'intermediate', 'advanced', 'expert']))
);
COMMENT ON CONSTRAINT personalized_prefs_is_object ON personalized IS 'Invalid JSON format';
COMMENT ON CONSTRAINT personalized_detail_level_range ON personalized IS 'Detail level must be 0-1';
COMMENT ON CONSTRAINT personalized_example_preference_range ON personalized IS 'Example preference must be 0-1';
COMMENT ON CONSTRAINT personalized_analogy_preference_range ON personalized IS 'Analogy preference must be 0-1';
COMMENT ON CONSTRAINT personalized_technical_language_range ON personalized IS 'Technical language must be 0-1';
COMMENT ON CONSTRAINT personalized_structure_preference_range ON personalized IS 'Structure preference must be 0-1';
COMMENT ON CONSTRAINT personalized_visual_preference_range ON personalized IS 'Visual preference must be 0-1';
COMMENT ON CONSTRAINT personalized_learning_pace_allowed ON personalized IS 'Invalid learning pace';
COMMENT ON CONSTRAINT personalized_prior_experience_allowed ON personalized IS 'Invalid experience level';

CREATE TABLE courses (
    id         uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id    uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    name       text NOT NULL,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    CONSTRAINT courses_name_not_empty CHECK (name ~ '[^[:space:]]'),
    CONSTRAINT courses_name_length CHECK (char_length(name) <= 255)
);
COMMENT ON CONSTRAINT courses_name_not_empty ON courses IS 'Course name is required';
COMMENT ON CONSTRAINT courses_name_length ON courses IS 'Course name too long';

CREATE TABLE materials (
    id         uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    course_id  uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    name       text NOT NULL,
    file_path  text NOT NULL,
    file_type  text NOT NULL,
    file_size  bigint NOT NULL,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    CONSTRAINT materials_name_not_empty CHECK (name ~ '[^[:space:]]'),
    CONSTRAINT materials_file_size_positive CHECK (file_size > 0),
    CONSTRAINT materials_file_size_limit CHECK (file_size <= 52428800),
    CONSTRAINT materials_file_type_allowed
        CHECK (file_type IN ('application/pdf', 'image/jpeg', 'image/png', 'image/gif', 'image/webp'))
);
COMMENT ON CONSTRAINT materials_name_not_empty ON materials IS 'File name is required';
COMMENT ON CONSTRAINT materials_file_size_positive ON materials IS 'File size must be greater than 0';
COMMENT ON CONSTRAINT materials_file_size_limit ON materials IS 'File size exceeds 50MB limit';
COMMENT ON CONSTRAINT materials_file_type_allowed ON materials IS 'Invalid file type';

CREATE TABLE chat_history (
    id         uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    course_id  uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    history    jsonb[] NOT NULL DEFAULT '{}',
    embedding  vector(384),
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    CONSTRAINT chat_history_history_format CHECK (history_is_list_of_objects(history)),
    CONSTRAINT chat_history_message_role CHECK (history_roles_are_valid(history)),
    CONSTRAINT chat_history_message_content CHECK (history_contents_are_present(history))
);
COMMENT ON CONSTRAINT chat_history_history_format ON chat_history IS 'Invalid history format';
COMMENT ON CONSTRAINT chat_history_message_role ON chat_history IS 'Invalid message role';
COMMENT ON CONSTRAINT chat_history_message_content ON chat_history IS 'Message content is required';

-- Indexes -------------------------------------------------------------------------------

CREATE INDEX idx_academic_grade ON academic USING gin (grade);
CREATE INDEX idx_academic_subject ON academic USING gin (subject);
CREATE INDEX idx_personalized_prefs ON personalized USING gin (prefs);
CREATE INDEX idx_courses_user_id ON courses USING btree (user_id);
CREATE INDEX idx_materials_course_id ON materials USING btree (course_id);
CREATE INDEX idx_materials_file_path ON materials USING btree (file_path);
CREATE INDEX idx_chat_history_course_id ON chat_history USING btree (course_id);

CREATE INDEX chat_history_embedding_idx ON chat_history USING hnsw (embedding vector_cosine_ops);

-- updated_at ----------------------------------------------------------------------------

-- Sets updated_at to the transaction's timestamp on every UPDATE, whatever the statement set.
CREATE FUNCTION update_updated_at() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER academic_update_trigger BEFORE UPDATE ON academic
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE TRIGGER personalized_update_trigger BEFORE UPDATE ON personalized
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE TRIGGER courses_update_trigger BEFORE UPDATE ON courses
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE TRIGGER materials_update_trigger BEFORE UPDATE ON materials
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();
CREATE TRIGGER chat_history_update_trigger BEFORE UPDATE ON chat_history
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();
