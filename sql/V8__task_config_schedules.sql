-- Issue 12: seed 001's task configs come to life. A config is a template (a tool_action and its
-- input) that the leading dispatcher turns into a task at each instant of its schedule, or that
-- an admin runs by hand; its runs are the task_executions of the tasks it created.
-- (Numbered V9, not V8, so it cannot collide with a V8 written at the same time elsewhere.)

-- The scheduler type has one spelling, the seed's and the API's: CRON | DATE | MANUAL (like seed
-- 003's enums, upper case in SQL too). Nothing wrote V1's lower-case drafts.
ALTER TABLE task_configs DROP CONSTRAINT task_configs_scheduler_type_check;
DROP INDEX ix_task_configs_due; -- the scheduler keeps configs in memory: no sweep reads it
UPDATE task_configs SET scheduler_type = upper(scheduler_type);
ALTER TABLE task_configs ALTER COLUMN scheduler_type SET DEFAULT 'MANUAL';
ALTER TABLE task_configs ADD CONSTRAINT ck_task_configs_scheduler_type
    CHECK (scheduler_type IN ('CRON', 'DATE', 'MANUAL'));

-- max_retries NULL: the queue's max_retries, as timeout_seconds NULL is the queue's job_timeout.
ALTER TABLE task_configs ALTER COLUMN max_retries DROP NOT NULL, ALTER COLUMN max_retries DROP DEFAULT;
-- What becomes of the instants a config missed while no dispatcher led (README, "Task configs").
ALTER TABLE task_configs ADD COLUMN misfire_policy text NOT NULL DEFAULT 'fire_once'
    CHECK (misfire_policy IN ('fire_once', 'skip'));
-- The admin client that made it: its tasks are that client's.
ALTER TABLE task_configs ADD COLUMN api_client_id text NOT NULL REFERENCES api_clients (id);
-- The input images its parameters name, resolved when it was saved, as the input asset rows
-- each of its tasks gets (seed 000); not shown by the API.
ALTER TABLE task_configs ADD COLUMN input_assets jsonb NOT NULL DEFAULT '[]';

-- A task made by a config carries it, and which instant of its schedule it stands for (NULL for a
-- run by hand). The unique key makes each instant fire exactly once, whichever leader fires it
-- and however often: a fence-passing second fire of an instant fails and changes nothing. It also
-- serves ON DELETE SET NULL. Deleting a config keeps its tasks and their executions.
ALTER TABLE tasks ADD COLUMN config_id bigint REFERENCES task_configs (id) ON DELETE SET NULL,
                  ADD COLUMN scheduled_for timestamptz,
                  -- this task's attempt timeout; NULL: its queue's job_timeout
                  ADD COLUMN timeout_ms int CHECK (timeout_ms > 0);
CREATE UNIQUE INDEX uq_tasks_config_instant ON tasks (config_id, scheduled_for) WHERE config_id IS NOT NULL;

-- An execution's instant, beside its config_id (written by the settlement from its task).
ALTER TABLE task_executions ADD COLUMN scheduled_for timestamptz;
