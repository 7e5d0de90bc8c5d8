-- Automatic embeddings for chat_history (issue 13).
--
--   * A chat is queued for (re-)embedding in ai.embedding_jobs (db/platform/007_ai.sql) when it
--     is inserted without an embedding, and when an UPDATE changes its history without setting
--     its embedding in the same statement. The server's embedding worker (src/ai/embed_worker.c)
--     writes the embedding afterwards from the chat's messages, one "role: content" line each,
--     in order. The trigger only enqueues: a write never waits for an embedder, and the old
--     embedding stays until the new one is written.
--   * An embedding the client writes itself (on insert, with history, or alone) is kept: no job
--     is queued for that row, and a job still pending for it is dropped, as Supabase users who
--     compute their own embeddings expect. (Writing history alone later queues the row again,
--     and the worker's embedding replaces the client's.) The worker deletes its job before it
--     writes, so its own write drops nothing.
--   * updated_at: the seed's rule holds ("updated whenever a row is modified"): the worker's
--     write of the embedding sets it too, moments after the write that queued the chat.
--
-- 004_rollback drops the functions (the triggers go with the table).

CREATE FUNCTION chat_history_enqueue_embedding() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
BEGIN
    PERFORM ai.enqueue_embedding('chat_history', NEW.id);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION chat_history_enqueue_embedding() FROM PUBLIC;

CREATE TRIGGER chat_history_embed_inserted AFTER INSERT ON chat_history
    FOR EACH ROW WHEN (NEW.embedding IS NULL)
    EXECUTE FUNCTION chat_history_enqueue_embedding();

CREATE TRIGGER chat_history_embed_changed AFTER UPDATE OF history ON chat_history
    FOR EACH ROW WHEN (OLD.history IS DISTINCT FROM NEW.history AND OLD.embedding IS NOT DISTINCT FROM NEW.embedding)
    EXECUTE FUNCTION chat_history_enqueue_embedding();

CREATE FUNCTION chat_history_keep_own_embedding() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
BEGIN
    PERFORM ai.cancel_embedding('chat_history', NEW.id);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION chat_history_keep_own_embedding() FROM PUBLIC;

CREATE TRIGGER chat_history_embedding_written AFTER UPDATE OF embedding ON chat_history
    FOR EACH ROW WHEN (OLD.embedding IS DISTINCT FROM NEW.embedding)
    EXECUTE FUNCTION chat_history_keep_own_embedding();
