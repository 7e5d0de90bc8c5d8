-- The seed's 004, run by `studybase migrate down`: drops everything 001-003 (and 005, 007, 008) created in the
-- app schema (policies, triggers, tables, functions) and keeps the extensions and the
-- platform schema, so that `migrate up` works again afterwards. All data in the five tables
-- is lost. Each statement tolerates what is already gone.

-- 008_material_chunks: retrieval, the extraction triggers and tables, the text types of the
-- materials bucket (the seed's five stay).
DROP FUNCTION IF EXISTS hybrid_search(text, vector, integer, uuid, integer);
DROP FUNCTION IF EXISTS match_material_chunks(vector, integer, uuid, double precision);
DROP TRIGGER IF EXISTS objects_request_extraction_trigger ON storage.objects;
DROP FUNCTION IF EXISTS storage.objects_request_extraction();
DROP TABLE IF EXISTS material_chunks;
DROP TABLE IF EXISTS material_extractions;
UPDATE storage.buckets
SET allowed_mime_types = array_remove(array_remove(allowed_mime_types, 'text/plain'), 'text/markdown')
WHERE id = 'materials';

-- 005_rpc's functions (the data API's RPCs).
DROP FUNCTION IF EXISTS append_chat_messages(uuid, jsonb);
DROP FUNCTION IF EXISTS match_chat_history(vector, double precision, integer, uuid);

DROP POLICY IF EXISTS "Users own chat history" ON chat_history;
DROP POLICY IF EXISTS "Users own materials" ON materials;
DROP POLICY IF EXISTS "Users own courses" ON courses;
DROP POLICY IF EXISTS "Users edit own prefs" ON personalized;
DROP POLICY IF EXISTS "Users edit own academic data" ON academic;

-- Children before parents; dropping a table drops its indexes, constraints and triggers.
DROP TABLE IF EXISTS chat_history;
DROP TABLE IF EXISTS materials;
DROP TABLE IF EXISTS courses;
DROP TABLE IF EXISTS personalized;
DROP TABLE IF EXISTS academic;

DROP FUNCTION IF EXISTS material_extraction_on_change();    -- 008 (its trigger went with materials)
DROP FUNCTION IF EXISTS material_chunks_enqueue_embedding();
DROP FUNCTION IF EXISTS ai.request_material_extraction(uuid);
DROP FUNCTION IF EXISTS update_updated_at();
-- 007_chat_embeddings: its triggers went with chat_history; its function. The queue's jobs of
-- both embedded tables (chats' and 008's chunks'): their rows are gone, so a job left behind
-- would fail on every try.
DROP FUNCTION IF EXISTS chat_history_enqueue_embedding();
DROP FUNCTION IF EXISTS chat_history_keep_own_embedding();
DO $$
BEGIN
    IF to_regclass('ai.embedding_jobs') IS NOT NULL THEN
        DELETE FROM ai.embedding_jobs WHERE target IN ('chat_history', 'material_chunks');
    END IF;
END;
$$;
DROP FUNCTION IF EXISTS history_contents_are_present(jsonb[]);
DROP FUNCTION IF EXISTS history_roles_are_valid(jsonb[]);
DROP FUNCTION IF EXISTS history_is_list_of_objects(jsonb[]);
DROP FUNCTION IF EXISTS prefs_field_is_one_of(jsonb, text, text[]);
DROP FUNCTION IF EXISTS prefs_field_is_unit_number(jsonb, text);
