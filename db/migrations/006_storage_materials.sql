-- Storage for the seed's learning materials (issue 7).
--
--   * storage.objects gains Supabase's `version` (which stored file holds the object's bytes:
--     every upload gets a new one, so a file is never overwritten in place), `owner_id` and
--     `user_metadata`; storage.foldername/filename/extension as Supabase has them.
--   * The private bucket `materials`: 50 MB, the seed's five MIME types.
--   * Policies on storage.objects for that bucket: a student reads only objects under their
--     own user id, and writes only `{their user id}/{a course of theirs}/...`.
--   * materials.file_path must be `{course owner's user id}/{course id}/{filename}`.
--   * Deletion consistency: deleting an object, or replacing its bytes, queues the old file in
--     storage.file_deletions and notifies `storage_file_deletions`; the server removes queued
--     files after the transaction commits (never one a row still names). Uploads queue their
--     new file, due later, until their row commits (a crash in between leaves no orphan). Deleting a material,
--     a course or a user deletes the objects they name or own; an object a material still
--     names cannot be deleted or moved.
--
-- Every statement tolerates running again: `migrate down` (004_rollback) drops the app tables
-- but not this file's storage objects, and `migrate up` applies this file once more.

ALTER TABLE storage.objects
    ADD COLUMN IF NOT EXISTS version       text,
    ADD COLUMN IF NOT EXISTS owner_id      text,
    ADD COLUMN IF NOT EXISTS user_metadata jsonb;

CREATE UNIQUE INDEX IF NOT EXISTS objects_version_key ON storage.objects (version);

-- Supabase's helpers for policies: 'a/b/c.pdf' -> {a,b}, 'c.pdf', 'pdf'.
CREATE OR REPLACE FUNCTION storage.foldername(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE
AS $$
    SELECT (string_to_array(name, '/'))[1:cardinality(string_to_array(name, '/')) - 1]
$$;

CREATE OR REPLACE FUNCTION storage.filename(name text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT (string_to_array(name, '/'))[cardinality(string_to_array(name, '/'))]
$$;

CREATE OR REPLACE FUNCTION storage.extension(name text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN storage.filename(name) LIKE '%.%'
                THEN lower(regexp_replace(storage.filename(name), '^.*\.', '')) ELSE '' END
$$;

GRANT EXECUTE ON FUNCTION storage.foldername(text), storage.filename(text), storage.extension(text)
    TO anon, authenticated, service_role;

-- The bucket ------------------------------------------------------------------------------

INSERT INTO storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
VALUES ('materials', 'materials', false, 52428800,
        ARRAY['application/pdf', 'image/jpeg', 'image/png', 'image/gif', 'image/webp'])
ON CONFLICT (id) DO NOTHING;

-- Policies ------------------------------------------------------------------------------

-- True when name is `{the caller's id}/{a course the caller owns}/...` (at least a file name
-- under the course folder). Runs as the caller, so `courses` is filtered by its own policy.
CREATE OR REPLACE FUNCTION storage.is_own_course_path(object_name text) RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT cardinality(storage.foldername(object_name)) >= 2
       AND (storage.foldername(object_name))[1] = auth.uid()::text
       AND EXISTS (SELECT 1 FROM public.courses AS c
                   WHERE c.id::text = (storage.foldername(object_name))[2] AND c.user_id = auth.uid())
$$;
GRANT EXECUTE ON FUNCTION storage.is_own_course_path(text) TO anon, authenticated, service_role;

DROP POLICY IF EXISTS "Students read their own materials" ON storage.objects;
CREATE POLICY "Students read their own materials"
ON storage.objects FOR SELECT
USING (bucket_id = 'materials' AND (storage.foldername(name))[1] = auth.uid()::text);

DROP POLICY IF EXISTS "Students upload into their own courses" ON storage.objects;
CREATE POLICY "Students upload into their own courses"
ON storage.objects FOR INSERT
WITH CHECK (bucket_id = 'materials' AND storage.is_own_course_path(name));

DROP POLICY IF EXISTS "Students update their own materials" ON storage.objects;
CREATE POLICY "Students update their own materials"
ON storage.objects FOR UPDATE
USING (bucket_id = 'materials' AND (storage.foldername(name))[1] = auth.uid()::text)
WITH CHECK (bucket_id = 'materials' AND storage.is_own_course_path(name));

DROP POLICY IF EXISTS "Students delete their own materials" ON storage.objects;
CREATE POLICY "Students delete their own materials"
ON storage.objects FOR DELETE
USING (bucket_id = 'materials' AND (storage.foldername(name))[1] = auth.uid()::text);

-- materials.file_path ---------------------------------------------------------------------

-- Runs as the caller: a course the caller cannot see is left to RLS and the foreign key,
-- which refuse it with their own errors.
CREATE OR REPLACE FUNCTION storage.materials_file_path_names_course() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    course_owner uuid;
    parts text[] := string_to_array(NEW.file_path, '/');
BEGIN
    SELECT user_id INTO course_owner FROM public.courses WHERE id = NEW.course_id;
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    IF cardinality(parts) <> 3 OR parts[1] <> course_owner::text OR parts[2] <> NEW.course_id::text
       OR parts[3] IN ('', '.', '..') THEN
        RAISE EXCEPTION 'File path must be {user_id}/{course_id}/{filename}'
            USING ERRCODE = 'check_violation', TABLE = 'materials', SCHEMA = 'public', COLUMN = 'file_path';
    END IF;
    RETURN NEW;
END;
$$;

DO $$
BEGIN
    IF to_regclass('public.materials') IS NOT NULL THEN
        DROP TRIGGER IF EXISTS materials_file_path_trigger ON public.materials;
        CREATE TRIGGER materials_file_path_trigger
            BEFORE INSERT OR UPDATE OF file_path, course_id ON public.materials
            FOR EACH ROW EXECUTE FUNCTION storage.materials_file_path_names_course();
    END IF;
END
$$;

-- The deletion queue ----------------------------------------------------------------------

-- Files to remove once no row names them. Entries the triggers below add are due at once;
-- an upload adds one for its new file before linking it in, due 10 minutes later, and
-- deletes it after its commit: if the server dies between linking the file and committing
-- the row, the entry outlives it and the drainer removes the orphaned file.
CREATE TABLE IF NOT EXISTS storage.file_deletions (
    id        bigserial PRIMARY KEY,
    version   text NOT NULL,          -- the stored file (see storage.objects.version)
    bucket_id text,
    name      text,
    queued_at timestamptz NOT NULL DEFAULT now(),
    not_before timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS file_deletions_version_idx ON storage.file_deletions (version);
REVOKE ALL ON storage.file_deletions FROM PUBLIC;
-- service_role: the server's drainer (UPDATE: it locks entries FOR UPDATE) and uploads.
GRANT SELECT, INSERT, UPDATE, DELETE ON storage.file_deletions TO service_role;
GRANT USAGE ON SEQUENCE storage.file_deletions_id_seq TO service_role;

-- The old row's file is no longer needed once this transaction commits.
CREATE OR REPLACE FUNCTION storage.queue_replaced_file() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
BEGIN
    IF OLD.version IS NOT NULL AND (TG_OP = 'DELETE' OR NEW.version IS DISTINCT FROM OLD.version) THEN
        INSERT INTO storage.file_deletions (version, bucket_id, name)
        VALUES (OLD.version, OLD.bucket_id, OLD.name);
        PERFORM pg_notify('storage_file_deletions', '');
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS objects_queue_file_trigger ON storage.objects;
CREATE TRIGGER objects_queue_file_trigger
    AFTER DELETE OR UPDATE OF version ON storage.objects
    FOR EACH ROW EXECUTE FUNCTION storage.queue_replaced_file();

-- An object a material names stays where it is until the material goes.
CREATE OR REPLACE FUNCTION storage.keep_files_materials_name() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
BEGIN
    IF OLD.bucket_id = 'materials' AND to_regclass('public.materials') IS NOT NULL
       AND (TG_OP = 'DELETE' OR NEW.name IS DISTINCT FROM OLD.name OR NEW.bucket_id IS DISTINCT FROM OLD.bucket_id)
       AND EXISTS (SELECT 1 FROM public.materials WHERE file_path = OLD.name) THEN
        RAISE EXCEPTION 'File is used by a material; delete the material first'
            USING ERRCODE = 'object_in_use';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;

DROP TRIGGER IF EXISTS objects_keep_material_files_trigger ON storage.objects;
CREATE TRIGGER objects_keep_material_files_trigger
    BEFORE DELETE OR UPDATE OF name, bucket_id ON storage.objects
    FOR EACH ROW EXECUTE FUNCTION storage.keep_files_materials_name();

-- Deleting a material deletes its file, unless another material still names it.
CREATE OR REPLACE FUNCTION storage.materials_delete_file() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM public.materials WHERE file_path = OLD.file_path) THEN
        DELETE FROM storage.objects WHERE bucket_id = 'materials' AND name = OLD.file_path;
    END IF;
    RETURN NULL;
END;
$$;

-- Deleting a course deletes every object in its folder (its materials went first: the
-- foreign key's cascade fires before these triggers, whose names sort after "RI_...").
CREATE OR REPLACE FUNCTION storage.courses_delete_files() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
BEGIN
    DELETE FROM storage.objects
    WHERE bucket_id = 'materials'
      AND path_tokens[1] = OLD.user_id::text AND path_tokens[2] = OLD.id::text;
    RETURN NULL;
END;
$$;

DO $$
BEGIN
    IF to_regclass('public.materials') IS NOT NULL THEN
        DROP TRIGGER IF EXISTS materials_delete_file_trigger ON public.materials;
        CREATE TRIGGER materials_delete_file_trigger
            AFTER DELETE ON public.materials
            FOR EACH ROW EXECUTE FUNCTION storage.materials_delete_file();
    END IF;
    IF to_regclass('public.courses') IS NOT NULL THEN
        DROP TRIGGER IF EXISTS courses_delete_files_trigger ON public.courses;
        CREATE TRIGGER courses_delete_files_trigger
            AFTER DELETE ON public.courses
            FOR EACH ROW EXECUTE FUNCTION storage.courses_delete_files();
    END IF;
END
$$;

-- Deleting a user deletes what they own and everything under their folder.
CREATE OR REPLACE FUNCTION storage.user_delete_files() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
BEGIN
    DELETE FROM storage.objects
    WHERE owner = OLD.id OR (bucket_id = 'materials' AND path_tokens[1] = OLD.id::text);
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS users_delete_files_trigger ON auth.users;
CREATE TRIGGER users_delete_files_trigger
    AFTER DELETE ON auth.users
    FOR EACH ROW EXECUTE FUNCTION storage.user_delete_files();
