-- Functions of the data API (/rest/v1/rpc/...), beyond the seed's 001-004.
--
-- Both are SECURITY INVOKER: they run as the calling role, so the chat_history policies decide
-- which chats they see and touch, exactly as a plain query would. Both return TABLE(...) rather
-- than the table's row type, so that nothing ties them to chat_history's row type;
-- 004_rollback drops them (it undoes 005 too).

-- The chats most similar to query_embedding: similarity = 1 - cosine distance, only those
-- above match_threshold (and with an embedding), most similar first, at most match_count.
-- With filter_course_id, only that course's chats.
CREATE OR REPLACE FUNCTION match_chat_history(
    query_embedding vector(384),
    match_threshold float,
    match_count int,
    filter_course_id uuid DEFAULT NULL)
RETURNS TABLE (id uuid, course_id uuid, history jsonb[], similarity float)
LANGUAGE sql STABLE SECURITY INVOKER
AS $$
    SELECT c.id, c.course_id, c.history, 1 - (c.embedding <=> query_embedding) AS similarity
    FROM chat_history AS c
    WHERE c.embedding IS NOT NULL
      AND (filter_course_id IS NULL OR c.course_id = filter_course_id)
      AND c.embedding <=> query_embedding < 1 - match_threshold
    ORDER BY c.embedding <=> query_embedding, c.id
    LIMIT greatest(match_count, 0)
$$;

-- Appends messages (a JSON array of {role, content} objects) to a chat in one UPDATE, so two
-- appends to one chat never lose each other's messages (the row lock orders them; each sees
-- the other's result). The seed's CHECKs on history apply as to any update. A chat the caller
-- cannot see is "not found" (HTTP 404 through the API: SQLSTATE PT404).
CREATE OR REPLACE FUNCTION append_chat_messages(chat_id uuid, messages jsonb)
RETURNS TABLE (id uuid, course_id uuid, history jsonb[], created_at timestamptz, updated_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
AS $$
BEGIN
    IF jsonb_typeof(messages) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'messages must be a JSON array of message objects' USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
        UPDATE chat_history AS c
        SET history = c.history || ARRAY(SELECT m FROM jsonb_array_elements(messages) AS e(m))
        WHERE c.id = chat_id
        RETURNING c.id, c.course_id, c.history, c.created_at, c.updated_at;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Chat not found' USING ERRCODE = 'PT404';
    END IF;
END;
$$;
