-- Issue 8: the task lifecycle has one owner, the task core (task-core/, dev.kiln.task.store).
-- What was policy in triggers (credit holds and their settlement, batch counters, webhook
-- outboxes) is now named steps of the core's transactions (Credits, BatchCounts,
-- WebhookOutbox), so a settlement of many attempts is a few statements, not a trigger per row.
-- What stays in the schema is what is a constraint: keys, checks, the ledger's unique indexes.

DROP TRIGGER tasks_hold_credits ON tasks;
DROP TRIGGER tasks_settle_credits ON tasks;
DROP TRIGGER tasks_recount_batch ON tasks;
DROP TRIGGER tasks_enqueue_webhook ON tasks;
DROP TRIGGER task_batches_enqueue_webhook ON task_batches;
DROP FUNCTION kiln_credits_on_insert();
DROP FUNCTION kiln_credits_on_status();
DROP FUNCTION kiln_hold_credits(tasks);
DROP FUNCTION kiln_recount_batch();
DROP FUNCTION kiln_enqueue_webhook();
DROP FUNCTION kiln_enqueue_batch_webhook();

-- How an attempt ended has one name, outcome (dev.kiln.task.AttemptOutcome), in SQL, Java and
-- JSON. Seed 001's TaskExecution has no status (only is_success); Kiln's column was named
-- status and wrote a hand-off the worker never accepted as worker_lost + error_code
-- handoff_failed: it is its own outcome now.
ALTER TABLE task_executions DROP CONSTRAINT task_executions_status_check;
ALTER TABLE task_executions RENAME COLUMN status TO outcome;
UPDATE task_executions SET outcome = 'handoff_failed' WHERE outcome = 'worker_lost' AND error_code = 'handoff_failed';
ALTER TABLE task_executions ADD CONSTRAINT ck_task_executions_outcome
    CHECK (outcome IN ('completed', 'failed', 'timeout', 'cancelled', 'worker_lost', 'handoff_failed'));

-- A queue has one name: tasks.queue, and queue_configs.queue (was queue_name; seed 003's
-- QueueConfig.queueName).
ALTER TABLE queue_configs RENAME COLUMN queue_name TO queue;

-- Nothing wrote the lease: a worker's liveness is its heartbeats, held by the leading dispatcher.
DROP INDEX ix_tasks_running_lease;
ALTER TABLE tasks DROP COLUMN lease_expires_at;

-- Retention (the leader's Pruner): ended tasks by when they ended, events and deliveries by age.
-- BRIN: both tables are append-mostly in time order, so a block range index costs next to nothing.
CREATE INDEX ix_tasks_finished ON tasks (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX ix_task_events_created ON task_events USING brin (created_at);
CREATE INDEX ix_webhook_deliveries_created ON webhook_deliveries USING brin (created_at);
