-- The seed's 003: Row Level Security on the five app tables, the seed's five policies, and the
-- table privileges the API roles need to reach the tables at all.
--
-- Privileges say which statements a role may run; the policies say which rows. anon and
-- authenticated get SELECT/INSERT/UPDATE/DELETE and the policies (auth.uid() = owner) leave
-- anon nothing and a user their own rows. service_role has BYPASSRLS (db/platform/001_roles.sql)
-- and sees every row. No one but the owner gets TRUNCATE, which RLS does not filter.

ALTER TABLE academic ENABLE ROW LEVEL SECURITY;
ALTER TABLE personalized ENABLE ROW LEVEL SECURITY;
ALTER TABLE courses ENABLE ROW LEVEL SECURITY;
ALTER TABLE materials ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_history ENABLE ROW LEVEL SECURITY;

GRANT SELECT, INSERT, UPDATE, DELETE
    ON academic, personalized, courses, materials, chat_history
    TO anon, authenticated, service_role;

CREATE POLICY "Users edit own academic data"
ON academic
FOR ALL
USING (auth.uid() = id)
WITH CHECK (auth.uid() = id);

CREATE POLICY "Users edit own prefs"
ON personalized
FOR ALL
USING (auth.uid() = id)
WITH CHECK (auth.uid() = id);

CREATE POLICY "Users own courses"
ON courses
FOR ALL
USING (auth.uid() = user_id)
WITH CHECK (auth.uid() = user_id);

CREATE POLICY "Users own materials"
ON materials
FOR ALL
USING (
    course_id IN (
        SELECT id FROM courses WHERE user_id = auth.uid()
    )
)
WITH CHECK (
    course_id IN (
        SELECT id FROM courses WHERE user_id = auth.uid()
    )
);

CREATE POLICY "Users own chat history"
ON chat_history
FOR ALL
USING (
    course_id IN (
        SELECT id FROM courses WHERE user_id = auth.uid()
    )
)
WITH CHECK (
    course_id IN (
        SELECT id FROM courses WHERE user_id = auth.uid()
    )
);
