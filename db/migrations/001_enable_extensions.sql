-- The seed's 001: the extensions the app schema uses.
--   uuid-ossp  uuid_generate_v4(), the primary keys' default
--   pgcrypto   hashing and encryption functions
--   vector     the vector(n) type of chat_history.embedding (our ext/vector, or pgvector)
--   pg_trgm    trigram similarity, for search
-- 004_rollback leaves them installed: other schemas may depend on them.

CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
