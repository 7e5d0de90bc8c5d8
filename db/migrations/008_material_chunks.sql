-- The materials' text for the AI tutor (issue #13): what the extraction worker read from each
-- material's file, cut into chunks, and the retrieval functions over it.
--
--   * Text files join the seed's PDF and image types (a deliberate extension of the seed, which
--     allows only PDF and four image types): materials.file_type and the `materials` bucket
--     also take 'text/plain' and 'text/markdown'. Other types keep the seed's "Invalid file type".
--   * material_extractions: one row per material, what became of its text: 'pending' (the
--     server's extraction worker will read it), 'done', 'failed' (reason says why, in words a
--     student can read) or 'not_extractable' (images: not an error). A trigger creates the row
--     'pending' when a material is inserted, and again when its file_path or file_type changes
--     or its stored file is replaced (an upload with upsert), and notifies
--     `ai_material_extractions`. claimed_at is the worker's lease: the worker that claimed the
--     row writes its result only if the row was not re-requested meanwhile.
--   * material_chunks: the text in pieces of ~500 tokens (page, position in the material),
--     with a generated English tsvector and an embedding the embedding worker fills in (an
--     insert enqueues it in ai.embedding_jobs).
--   * Both tables: the course's owner may read; only service_role writes. They go with their
--     material and with its course (cascades).
--   * match_material_chunks and hybrid_search: SECURITY INVOKER, so RLS decides what a caller
--     sees; never another student's rows.
--
-- 004_rollback drops everything this file creates (and takes the text types out of the bucket).

-- Text files ------------------------------------------------------------------------------

ALTER TABLE materials DROP CONSTRAINT materials_file_type_allowed;
ALTER TABLE materials ADD CONSTRAINT materials_file_type_allowed
    CHECK (file_type IN ('application/pdf', 'image/jpeg', 'image/png', 'image/gif', 'image/webp',
                         'text/plain', 'text/markdown'));
COMMENT ON CONSTRAINT materials_file_type_allowed ON materials IS 'Invalid file type';

UPDATE storage.buckets
SET allowed_mime_types = allowed_mime_types
    || ARRAY(SELECT t FROM unnest(ARRAY['text/plain', 'text/markdown']) AS t WHERE t <> ALL (allowed_mime_types))
WHERE id = 'materials' AND allowed_mime_types IS NOT NULL;

-- Tables ----------------------------------------------------------------------------------

CREATE TABLE material_extractions (
    material_id uuid PRIMARY KEY REFERENCES materials (id) ON DELETE CASCADE,
    course_id   uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'pending'
                CONSTRAINT material_extractions_status CHECK (status IN ('pending', 'done', 'failed', 'not_extractable')),
    reason      text,
    pages       int,
    chunks      int,
    updated_at  timestamptz DEFAULT now(),
    claimed_at  timestamptz
);
CREATE INDEX material_extractions_pending_idx ON material_extractions (updated_at) WHERE status = 'pending';
CREATE INDEX material_extractions_course_idx ON material_extractions (course_id);

CREATE TABLE material_chunks (
    id          uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    material_id uuid NOT NULL REFERENCES materials (id) ON DELETE CASCADE,
    course_id   uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    page        int,
    "position"  int NOT NULL,
    content     text NOT NULL,
    embedding   vector(384),
    fts         tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
    created_at  timestamptz DEFAULT now(),
    CONSTRAINT material_chunks_material_position UNIQUE (material_id, "position")
);
CREATE INDEX material_chunks_course_idx ON material_chunks (course_id);
CREATE INDEX material_chunks_fts_idx ON material_chunks USING gin (fts);
CREATE INDEX material_chunks_embedding_idx ON material_chunks USING hnsw (embedding vector_cosine_ops);

-- RLS: the course's owner reads; writes are service_role's (no INSERT/UPDATE/DELETE grant) --

ALTER TABLE material_extractions ENABLE ROW LEVEL SECURITY;
ALTER TABLE material_chunks ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON material_extractions, material_chunks TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON material_extractions, material_chunks TO service_role;

CREATE POLICY "Users read own material extractions"
ON material_extractions
FOR SELECT
USING (course_id IN (SELECT id FROM courses WHERE user_id = auth.uid()));

CREATE POLICY "Users read own material chunks"
ON material_chunks
FOR SELECT
USING (course_id IN (SELECT id FROM courses WHERE user_id = auth.uid()));

-- Extraction requests ---------------------------------------------------------------------

-- (Re)starts a material's extraction: 'pending' for PDF and text, 'not_extractable' for
-- images (their chunks, if the file was text before, go now). A pending material keeps its
-- old chunks until the worker replaces them in one transaction. SECURITY DEFINER: the
-- triggers below run as the student, who may not write these tables.
CREATE FUNCTION ai.request_material_extraction(p_material_id uuid) RETURNS void
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
        (material_id, course_id, status, reason, pages, chunks, updated_at, claimed_at)
    VALUES (m.id, m.course_id,
            CASE WHEN readable THEN 'pending' ELSE 'not_extractable' END,
            CASE WHEN readable THEN NULL
                 ELSE 'Images are not read for text: only PDF, plain text and Markdown files are' END,
            NULL, CASE WHEN readable THEN NULL ELSE 0 END, clock_timestamp(), NULL)
    ON CONFLICT (material_id) DO UPDATE
        SET course_id = EXCLUDED.course_id, status = EXCLUDED.status, reason = EXCLUDED.reason,
            pages = NULL, chunks = EXCLUDED.chunks, updated_at = EXCLUDED.updated_at, claimed_at = NULL;
    IF readable THEN
        PERFORM pg_notify('ai_material_extractions', '');
    ELSE
        DELETE FROM public.material_chunks WHERE material_id = m.id;
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION ai.request_material_extraction(uuid) FROM PUBLIC;

-- A new material, a new file path or type: extract again. A material moved to another course
-- of the same student takes its chunks and extraction row along.
CREATE FUNCTION material_extraction_on_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.course_id IS DISTINCT FROM OLD.course_id THEN
        UPDATE public.material_chunks SET course_id = NEW.course_id WHERE material_id = NEW.id;
        UPDATE public.material_extractions SET course_id = NEW.course_id WHERE material_id = NEW.id;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.file_path IS DISTINCT FROM OLD.file_path
       OR NEW.file_type IS DISTINCT FROM OLD.file_type THEN
        PERFORM ai.request_material_extraction(NEW.id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER material_extraction_trigger
    AFTER INSERT OR UPDATE OF file_path, file_type, course_id ON materials
    FOR EACH ROW EXECUTE FUNCTION material_extraction_on_change();

-- A stored file a material names was uploaded, replaced (upsert) or moved into place:
-- extract again.
CREATE FUNCTION storage.objects_request_extraction() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
DECLARE
    m uuid;
BEGIN
    FOR m IN SELECT id FROM public.materials WHERE file_path = NEW.name LOOP
        PERFORM ai.request_material_extraction(m);
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE TRIGGER objects_request_extraction_trigger
    AFTER INSERT OR UPDATE OF version, name ON storage.objects
    FOR EACH ROW WHEN (NEW.bucket_id = 'materials')
    EXECUTE FUNCTION storage.objects_request_extraction();

-- A new chunk (or changed text) needs its embedding: the embedding worker's queue.
CREATE FUNCTION material_chunks_enqueue_embedding() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
BEGIN
    PERFORM ai.enqueue_embedding('material_chunks', NEW.id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER material_chunks_embedding_trigger
    AFTER INSERT OR UPDATE OF content ON material_chunks
    FOR EACH ROW EXECUTE FUNCTION material_chunks_enqueue_embedding();

-- Retrieval -------------------------------------------------------------------------------

-- The caller's chunks nearest to query_embedding (cosine), those with similarity above
-- match_threshold, nearest first. RLS: only chunks of the caller's own courses.
CREATE FUNCTION match_material_chunks(
    query_embedding vector(384),
    match_count int DEFAULT 5,
    filter_course_id uuid DEFAULT NULL,
    match_threshold float DEFAULT 0)
RETURNS TABLE (id uuid, material_id uuid, course_id uuid, page int, "position" int, content text, similarity float)
LANGUAGE sql STABLE SECURITY INVOKER
AS $$
    SELECT c.id, c.material_id, c.course_id, c.page, c."position", c.content,
           1 - (c.embedding <=> query_embedding) AS similarity
    FROM material_chunks AS c
    WHERE c.embedding IS NOT NULL
      AND (filter_course_id IS NULL OR c.course_id = filter_course_id)
      AND c.embedding <=> query_embedding < 1 - match_threshold
    ORDER BY c.embedding <=> query_embedding, c.id
    LIMIT greatest(coalesce(match_count, 0), 0)
$$;

-- Reciprocal rank fusion of three ranked lists over the caller's own rows (RLS):
--   1. chunks whose text matches websearch_to_tsquery('english', query_text), by ts_rank_cd;
--   2. chunks by cosine distance of their embedding to query_embedding;
--   3. chats (chat_history) by cosine distance of their embedding.
-- Each list keeps its best 2 × match_count rows (match_count is capped at 50); a row's score is
-- the sum over the lists it is in of 1 / (rrf_k + its rank there), rank 1 = best. Results: best
-- score first (ties: kind, then id). A NULL or blank query_text skips list 1, a NULL
-- query_embedding lists 2 and 3. A chat's content is its messages as "role: content" lines.
CREATE FUNCTION hybrid_search(
    query_text text,
    query_embedding vector(384),
    match_count int DEFAULT 8,
    filter_course_id uuid DEFAULT NULL,
    rrf_k int DEFAULT 60)
RETURNS TABLE (kind text, id uuid, material_id uuid, material_name text, page int, content text, score float)
LANGUAGE sql STABLE SECURITY INVOKER
AS $$
    WITH settings AS (
        SELECT least(greatest(coalesce(match_count, 0), 0), 50) AS n,
               greatest(coalesce(rrf_k, 60), 0) AS k,
               CASE WHEN coalesce(btrim(query_text), '') = '' THEN NULL
                    ELSE websearch_to_tsquery('english', query_text) END AS q
    ),
    by_text AS (
        SELECT t.id, row_number() OVER (ORDER BY t.rank DESC, t.id) AS r
        FROM (SELECT c.id, ts_rank_cd(c.fts, s.q) AS rank
              FROM material_chunks AS c, settings AS s
              WHERE s.q IS NOT NULL AND c.fts @@ s.q
                AND (filter_course_id IS NULL OR c.course_id = filter_course_id)
              ORDER BY rank DESC, c.id
              LIMIT (SELECT 2 * n FROM settings)) AS t
    ),
    by_vector AS (
        SELECT t.id, row_number() OVER (ORDER BY t.distance, t.id) AS r
        FROM (SELECT c.id, c.embedding <=> query_embedding AS distance
              FROM material_chunks AS c
              WHERE query_embedding IS NOT NULL AND c.embedding IS NOT NULL
                AND (filter_course_id IS NULL OR c.course_id = filter_course_id)
              ORDER BY c.embedding <=> query_embedding, c.id
              LIMIT (SELECT 2 * n FROM settings)) AS t
    ),
    chats AS (
        SELECT t.id, row_number() OVER (ORDER BY t.distance, t.id) AS r
        FROM (SELECT h.id, h.embedding <=> query_embedding AS distance
              FROM chat_history AS h
              WHERE query_embedding IS NOT NULL AND h.embedding IS NOT NULL
                AND (filter_course_id IS NULL OR h.course_id = filter_course_id)
              ORDER BY h.embedding <=> query_embedding, h.id
              LIMIT (SELECT 2 * n FROM settings)) AS t
    ),
    chunk_scores AS (
        SELECT u.id, sum(1.0 / ((SELECT k FROM settings) + u.r)) AS score
        FROM (SELECT b.id, b.r FROM by_text AS b UNION ALL SELECT v.id, v.r FROM by_vector AS v) AS u
        GROUP BY u.id
    )
    SELECT f.kind, f.id, f.material_id, f.material_name, f.page, f.content, f.score
    FROM (
        SELECT 'chunk'::text AS kind, c.id, c.material_id, m.name AS material_name, c.page, c.content,
               cs.score::float AS score
        FROM chunk_scores AS cs
        JOIN material_chunks AS c ON c.id = cs.id
        JOIN materials AS m ON m.id = c.material_id
        UNION ALL
        SELECT 'chat'::text, h.id, NULL::uuid, NULL::text, NULL::int,
               coalesce((SELECT string_agg((msg ->> 'role') || ': ' || (msg ->> 'content'), E'\n' ORDER BY o)
                         FROM unnest(h.history) WITH ORDINALITY AS x (msg, o)), ''),
               (1.0 / ((SELECT k FROM settings) + ch.r))::float
        FROM chats AS ch
        JOIN chat_history AS h ON h.id = ch.id
    ) AS f
    ORDER BY f.score DESC, f.kind, f.id
    LIMIT (SELECT n FROM settings)
$$;
