-- Issue 10, finding 1: a task's failed hand-offs are counted, so they can be bounded. A worker
-- that has split from the cluster can still be sent attempts it never gets; each one came back
-- at once, unbounded (one task reached attempt 347 in five seconds). Now each failed hand-off
-- after the first waits a growing delay, and a task whose hand-offs fail too often fails.
ALTER TABLE tasks ADD COLUMN handoff_count int NOT NULL DEFAULT 0 CHECK (handoff_count >= 0);
