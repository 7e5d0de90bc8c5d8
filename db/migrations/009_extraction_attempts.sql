-- Migration 009: an attempt counter on material_extractions, so a file that never finishes
-- being read is given up instead of being taken again every lease.
--
-- The extraction worker (src/ai/extractor.c) counts an attempt each time it claims a pending
-- row. A PDF is read in a child process (src/ai/pdf_child.h), so a file that crashes or hangs
-- the reader is settled 'failed' on its first attempt; what the counter catches is an attempt
-- that never settles: the server itself dying (killed, out of memory, restarted) while it read
-- the file, a database that refused the result, a reader that could not be started. Such a row
-- stays 'pending' and its lease runs out; once it has been claimed 3 times, the worker sets it
-- 'failed' (reason: it could not be read after 3 attempts) instead of claiming it again.
-- A new request (a new file, path or type) starts the count again at 0.
--
-- 004_rollback drops the table (and with it the column) and the function.

ALTER TABLE material_extractions ADD COLUMN attempts int NOT NULL DEFAULT 0;
COMMENT ON COLUMN material_extractions.attempts IS
    'times the extraction worker claimed this request; failed once 3 claims did not settle';

-- 008's function, with the count reset on each new request.
CREATE OR REPLACE FUNCTION ai.request_material_extraction(p_material_id uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
DECLARE
    m record;
    readable boolean;
BEGIN
    SELECT id, course_id, file_type INTO m FROM public.materials WHERE id = p_material_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    readable := m.file_type IN ('application/pdf', 'text/plain', 'text/markdown');
    INSERT INTO public.material_extractions AS e
        (material_id, course_id, status, reason, pages, chunks, updated_at, claimed_at, attempts)
    VALUES (m.id, m.course_id,
            CASE WHEN readable THEN 'pending' ELSE 'not_extractable' END,
            CASE WHEN readable THEN NULL
                 ELSE 'Images are not read for text: only PDF, plain text and Markdown files are' END,
            NULL, CASE WHEN readable THEN NULL ELSE 0 END, clock_timestamp(), NULL, 0)
    ON CONFLICT (material_id) DO UPDATE
        SET course_id = EXCLUDED.course_id, status = EXCLUDED.status, reason = EXCLUDED.reason,
            pages = NULL, chunks = EXCLUDED.chunks, updated_at = EXCLUDED.updated_at, claimed_at = NULL,
            attempts = 0;
    IF readable THEN
        PERFORM pg_notify('ai_material_extractions', '');
    ELSE
        DELETE FROM public.material_chunks WHERE material_id = m.id;
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION ai.request_material_extraction(uuid) FROM PUBLIC;
