-- Issue 9: the tasks table is a queue; every index on it is written again on each of a task's
-- status changes (a status change is never a HOT update), so each one costs throughput. These
-- go, or become one, because partial indexes of the statuses that are ever looked up serve
-- the same reads better.

-- seed 002's status index (with queue added second) served the queue-depth counts; those now
-- count each waiting or running status through its own partial index (ix_tasks_claim_fifo,
-- ix_tasks_retry_due, ix_tasks_running), which stays small whatever the history holds.
DROP INDEX ix_tasks_status_queue;

-- Three partial indexes of running rows become one: the running count per queue (the claim's
-- max_concurrency), a worker's attempts and the timeout sweep all read the few running rows.
DROP INDEX ix_tasks_running_queue;
DROP INDEX ix_tasks_running_worker;
DROP INDEX ix_tasks_running_timeout;
CREATE INDEX ix_tasks_running ON tasks (queue, timeout_at, worker_id) WHERE status = 'running';
