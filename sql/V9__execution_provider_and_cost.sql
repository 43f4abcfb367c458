-- Issue 13: an attempt's provider and what it cost. The worker reports which provider ran it
-- (demo, debug, or a providers-file server), the server's own job id, the GPU time it held
-- (0 for the in-process stand-ins) and the server's log (its last 64 KiB); the settlement writes
-- them on the attempt's execution row, and the provider on the task (V1's columns, unused until now).
ALTER TABLE task_executions ADD COLUMN provider_name text,
                            ADD COLUMN provider_job_id text,
                            ADD COLUMN gpu_seconds double precision CHECK (gpu_seconds >= 0),
                            ADD COLUMN logs text;

-- GET /admin/usage sums the executions that ended in a span. Rows are appended in the order they
-- end (completed_at is the settlement's clock), which is what BRIN is for: a few pages for the whole
-- table, and next to nothing added to a settlement (a b-tree here would be one more index to write
-- per settled attempt on the drain path).
CREATE INDEX ix_task_executions_completed_brin ON task_executions USING brin (completed_at);
