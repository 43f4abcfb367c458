-- =============================================================================
-- Kiln — V1__init.sql: the one schema (Flyway migration; also runnable with psql).
-- PostgreSQL 14+. No extensions needed (gen_random_uuid() is core since PG13).
--
-- Kiln's schema is the union of the five seed documents (shared/seeds/000..004),
-- mapped per DESIGN.md §9. Conventions:
--   * snake_case columns; timestamps are timestamptz.
--   * Status vocabularies are lower-case text + CHECK (no ENUM types), except
--     seed 003's generation-request enums, which keep their UPPER_CASE values.
--   * Ids are uuid (gen_random_uuid()) except api_clients.id (text, seed 002),
--     workers.id (text), task_configs.id / task_executions.id / task_events.id /
--     credit_ledger.id (bigint identity; task_events.id is the SSE event id).
--   * Seed 003's cuid string ids become uuid.
-- Creation order follows the foreign keys.
-- =============================================================================


-- -----------------------------------------------------------------------------
-- Shared helper: keep updated_at current (Prisma's @updatedAt, seed 003).
-- Application code may also set it; the trigger just makes it reliable.
-- -----------------------------------------------------------------------------
CREATE FUNCTION kiln_set_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;


-- =============================================================================
-- Identity: API clients, end users, e-mail sign-in codes
-- =============================================================================

-- seed 002 as is. Plaintext keys are never stored: api_key_hash = SHA-256 hex.
CREATE TABLE api_clients (
    id            text        PRIMARY KEY,          -- e.g. 'admin', 'key_ab12cd34'
    display_name  text        NOT NULL,
    role          text        NOT NULL
                  CHECK (role IN ('admin', 'first_party', 'third_party')),
    api_key_hash  text        NOT NULL,
    is_active     boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- seed 002 idx_api_clients_key_hash was a plain index "to avoid inserting the
    -- same key twice": a UNIQUE constraint enforces that and serves the lookup.
    CONSTRAINT uq_api_clients_key_hash UNIQUE (api_key_hash)
);

-- seed 003 User (cuid id -> uuid).
CREATE TABLE users (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email          text        NOT NULL,            -- store normalised (lower-case)
    name           text,
    avatar         text,                            -- avatar URL
    last_login_at  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_users_email UNIQUE (email)
);

-- seed 003 EmailVerificationCode. The code itself is never stored: code_hash
-- (renamed from seed `code`); attempts counts wrong guesses.
CREATE TABLE email_verification_codes (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email        text        NOT NULL,
    code_hash    text        NOT NULL,              -- seed 003 `code`, hashed
    attempts     int         NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    expires_at   timestamptz NOT NULL,
    verified_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    user_id      uuid        REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_email_codes_email_created ON email_verification_codes (email, created_at DESC);
CREATE INDEX ix_email_codes_email_expires ON email_verification_codes (email, expires_at);
CREATE INDEX ix_email_codes_user          ON email_verification_codes (user_id) WHERE user_id IS NOT NULL;


-- =============================================================================
-- Credits: wallets and the ledger (seed 000 wallet_hold_id/points_cost,
-- seed 004 credits_consumed + refund on failure)
-- =============================================================================

-- One wallet per end user of an API client. user_id is the same text as
-- tasks.user_id (X-User-Id or users.id::text); '' is the client's own wallet
-- (a client acting for no end user). held = credits currently on hold.
CREATE TABLE wallets (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    api_client_id  text        NOT NULL REFERENCES api_clients (id),
    user_id        text        NOT NULL DEFAULT '',
    balance        bigint      NOT NULL DEFAULT 0 CHECK (balance >= 0),
    held           bigint      NOT NULL DEFAULT 0 CHECK (held >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_wallets_owner UNIQUE (api_client_id, user_id)
);
-- credit_ledger is created after tasks (it references them).


-- =============================================================================
-- Queues, workers, dispatcher leadership
-- =============================================================================

-- seed 003 QueueConfig. Its cuid `id` + unique `queueName` collapse into the
-- natural key queue_name. Times are milliseconds (DESIGN §4).
CREATE TABLE queue_configs (
    queue_name        text        PRIMARY KEY,
    max_concurrency   int         NOT NULL DEFAULT 1      CHECK (max_concurrency > 0),
    job_timeout       int         NOT NULL DEFAULT 300000 CHECK (job_timeout > 0),     -- ms
    max_retries       int         NOT NULL DEFAULT 3      CHECK (max_retries >= 0),
    retry_delay_base  int         NOT NULL DEFAULT 5000   CHECK (retry_delay_base >= 0), -- ms
    retry_delay_max   int         NOT NULL DEFAULT 60000,                              -- ms
    enable_priority   boolean     NOT NULL DEFAULT false,
    is_active         boolean     NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_queue_configs_retry_delay CHECK (retry_delay_max >= retry_delay_base)
);

INSERT INTO queue_configs (queue_name, max_concurrency, job_timeout, max_retries,
                           retry_delay_base, retry_delay_max, enable_priority)
VALUES ('image',   4,  300000, 3, 5000,  60000,  true),
       ('model3d', 2,  600000, 2, 10000, 120000, true),
       ('debug',   16, 60000,  3, 200,   5000,   true)
ON CONFLICT DO NOTHING;

-- Registered GPU/CPU hosts (DESIGN §5). Not referenced by FKs: task history
-- keeps worker ids after a worker row is purged.
CREATE TABLE workers (
    id                 text        PRIMARY KEY,
    host               text        NOT NULL,
    queues             text[]      NOT NULL,
    slots              int         NOT NULL CHECK (slots >= 0),
    gpu_name           text,
    gpu_memory_mb      int,
    version            text,
    status             text        NOT NULL DEFAULT 'active'
                       CHECK (status IN ('active', 'draining', 'offline')),
    started_at         timestamptz NOT NULL DEFAULT now(),
    last_heartbeat_at  timestamptz NOT NULL DEFAULT now()
);

-- Single-row fencing record of the leading dispatcher (DESIGN §5). The lead is
-- a Postgres advisory lock; epoch is bumped on every take-over and checked by
-- the leader's writes so a deposed leader's late writes are refused.
CREATE TABLE dispatcher_leadership (
    id           int         PRIMARY KEY CHECK (id = 1),
    epoch        bigint      NOT NULL,
    leader_id    text,
    acquired_at  timestamptz
);
INSERT INTO dispatcher_leadership (id, epoch, leader_id, acquired_at)
VALUES (1, 0, NULL, NULL)
ON CONFLICT DO NOTHING;


-- =============================================================================
-- Scheduled task templates (seed 001 TaskConfig)
-- =============================================================================

CREATE TABLE task_configs (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text        NOT NULL,                -- human-readable, shown in the UI
    task_type        text        NOT NULL,                -- the tool_action of the tasks it spawns
    scheduler_type   text        NOT NULL DEFAULT 'manual'
                     CHECK (scheduler_type IN ('cron', 'date', 'manual')),  -- seed CRON/DATE/MANUAL
    parameters       jsonb       NOT NULL DEFAULT '{}',   -- business input of the spawned task
    schedule_config  jsonb       NOT NULL DEFAULT '{}',   -- e.g. {"cron_expression": "0 0 * * *"}
    max_retries      int         NOT NULL DEFAULT 3 CHECK (max_retries >= 0),
    timeout_seconds  int                    CHECK (timeout_seconds > 0),
    priority         int         NOT NULL DEFAULT 0,
    is_active        boolean     NOT NULL DEFAULT true,
    next_run_at      timestamptz,
    last_run_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- The scheduler's sweep: active, scheduled configs that are due.
CREATE INDEX ix_task_configs_due ON task_configs (next_run_at)
    WHERE is_active AND scheduler_type <> 'manual';


-- =============================================================================
-- Tasks: batches, tasks, events, executions, assets
-- =============================================================================

-- seed 000 task_batches + seed 002 image_generation_batches.
-- Status: DESIGN §3 vocabulary; seed 002's success -> completed, error -> failed.
-- Counts: seed 002 success_count -> completed_count.
-- Batch parameters (prompt .. batch_size) are nullable: non-image batches exist.
CREATE TABLE task_batches (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    api_client_id        text        NOT NULL REFERENCES api_clients (id),
    user_id              text,                       -- end user (seed 000); no FK, like tasks.user_id
    tool_action          text,
    title                text,
    status               text        NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'running', 'completed', 'partial', 'failed', 'cancelled')),
    total_count          int         NOT NULL DEFAULT 0 CHECK (total_count >= 0),
    completed_count      int         NOT NULL DEFAULT 0 CHECK (completed_count >= 0),
    failed_count         int         NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
    cancelled_count      int         NOT NULL DEFAULT 0 CHECK (cancelled_count >= 0),
    -- seed 002 batch parameters
    prompt               text,
    negative_prompt      text,
    width                int         CHECK (width > 0),
    height               int         CHECK (height > 0),
    num_inference_steps  int         CHECK (num_inference_steps > 0),
    guidance_scale       double precision,
    base_seed            bigint,                     -- task i uses seed base_seed + i
    batch_size           int         CHECK (batch_size > 0),
    metadata             jsonb       NOT NULL DEFAULT '{}',  -- seed 000 ORM extra_metadata / seed 002 metadata
    caller_label         text,                       -- seed 002 free label
    webhook_url          text,
    is_deleted           boolean     NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    completed_at         timestamptz
);
-- seed 002 idx_image_generation_batches_client_created
CREATE INDEX ix_task_batches_client_created ON task_batches (api_client_id, created_at DESC);
-- /history for one end user of a client
CREATE INDEX ix_task_batches_client_user_created ON task_batches (api_client_id, user_id, created_at DESC);
-- batches still to be settled
CREATE INDEX ix_task_batches_open ON task_batches (status) WHERE status IN ('pending', 'running');

-- The table IS the queue (DESIGN §2). Union of:
--   seed 000 tasks; seed 002 image_generation_tasks (one row per image);
--   seed 003 ImageGenerationJob / ModelGenerationJob (job fields);
--   seed 004 tasks (mode, images, config, credits).
-- Status: seed 003 JobStatus in lower case. seed 004 processing -> running,
-- done -> completed; seed 002 success -> completed, error -> failed.
-- seed 002 path fields (image_id, output_path, preview_path, relative_path,
-- preview_relative_path) are NOT columns: each file is a task_assets row.
CREATE TABLE tasks (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),  -- seed 002 task_id / seed 004 task_id
    batch_id             uuid        REFERENCES task_batches (id) ON DELETE SET NULL,
    api_client_id        text        NOT NULL REFERENCES api_clients (id),
    -- end user (X-User-Id or signed-in users.id::text); deliberately NOT a FK to
    -- users: first-party clients pass their own user ids.
    user_id              text,
    -- Who the dispatcher is fair between: an API client, or one end user of it.
    tenant               text        GENERATED ALWAYS AS (api_client_id || '/' || coalesce(user_id, '')) STORED,
    -- Round-robin between tenants: a task's place in its tenant's line when it was queued
    -- (0 for the first waiting task, then 1, 2, ...). Claims take seq 0 of every tenant
    -- before any seq 1, so one tenant's 5,000 tasks delay another's single task by one round.
    fair_seq             bigint      NOT NULL DEFAULT 0,
    channel              text        NOT NULL DEFAULT 'openapi',  -- seed 000: web-ui / openapi / batch
    tool_action          text        NOT NULL,
    queue                text        NOT NULL REFERENCES queue_configs (queue_name),
    status               text        NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'running', 'completed', 'failed',
                                           'retrying', 'timeout', 'cancelled')),
    priority             int         NOT NULL DEFAULT 0,
    progress             int         NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),

    -- dispatch / retry bookkeeping (seed 003 job fields + leases)
    attempt              int         NOT NULL DEFAULT 0 CHECK (attempt >= 0),   -- dispatches so far; fencing token of an attempt
    retry_count          int         NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    max_retries          int         NOT NULL DEFAULT 3 CHECK (max_retries >= 0),
    lost_count           int         NOT NULL DEFAULT 0 CHECK (lost_count >= 0), -- re-queues after its worker was lost
    worker_id            text,                       -- no FK: see workers
    lease_expires_at     timestamptz,
    timeout_at           timestamptz,
    next_retry_at        timestamptz,
    provider_name        text,                       -- seed 003: 'comfyui', 'http', 'demo', ...
    provider_job_id      text,                       -- seed 003: the provider's own job id
    execution_duration   int         CHECK (execution_duration >= 0),  -- ms (seed 003)

    -- payloads
    input                jsonb       NOT NULL DEFAULT '{}',   -- seed 000 input_payload
    result               jsonb,                                -- seed 000 result_payload / seed 004 result
    error_code           text,
    error_message        text,
    error_hint           text,                                 -- seed 002
    error_detail         jsonb,                                -- seed 004 `error` (JSONB), renamed
    metadata             jsonb       NOT NULL DEFAULT '{}',   -- seed 002 image_generation_tasks.metadata (worker's raw metadata)

    -- seed 000 extras
    wallet_hold_id       uuid,                       -- credit_ledger.hold_id of this task's hold
    points_cost          bigint      CHECK (points_cost >= 0),      -- credits held for the task
    notify_cursor        bigint,                     -- last task_events.id pushed (webhook / notifier)
    webhook_url          text,
    idempotency_key      text,                       -- Idempotency-Key header, per api client

    -- seed 002 per-image generation parameters
    batch_index          int         CHECK (batch_index >= 0),
    seed                 bigint,
    prompt               text,
    negative_prompt      text,
    width                int         CHECK (width > 0),
    height               int         CHECK (height > 0),
    num_inference_steps  int         CHECK (num_inference_steps > 0),
    guidance_scale       double precision,
    cfg_normalization    boolean,
    cfg_truncation       double precision,
    max_sequence_length  int         CHECK (max_sequence_length > 0),

    -- seed 004 image-edit fields
    mode                 text,                       -- seed 004 HEAD_SWAP / BACKGROUND_CHANGE / POSE_CHANGE (tool_action is authoritative)
    source_image         text,                       -- file id / object key of the source image
    reference_image      text,                       -- file id / object key of the reference image
    config               jsonb,                      -- seed 004 config
    credits_consumed     bigint      CHECK (credits_consumed >= 0),  -- credits actually captured

    -- soft delete (recycle bin, seed 000)
    is_deleted           boolean     NOT NULL DEFAULT false,
    deleted_at           timestamptz,

    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    started_at           timestamptz,
    finished_at          timestamptz,                -- seed 000: any terminal state
    completed_at         timestamptz,                -- seeds 003/004: success only
    failed_at            timestamptz                 -- seeds 003/004: failure only
);

-- tasks is a queue table: rows pass through the claimable partial indexes and die there.
-- Vacuum it early and without throttling, or the claim walks ever more dead index entries.
ALTER TABLE tasks SET (autovacuum_vacuum_scale_factor = 0.0, autovacuum_vacuum_threshold = 2000,
                       autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0.02);

-- ---- batch counters (DESIGN §3): kept by the database itself ----
-- Every path that changes a batched task's status (claim, settle, cancel, delete, manual
-- retry) recounts its batch in the same transaction, so counts and status never drift.
-- AFTER ROW triggers run at the end of the statement and see all of its changes.
CREATE FUNCTION kiln_recount_batch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Lock first, count after: the count's fresh snapshot then sees a concurrent settle of a
    -- sibling task that committed while this one waited (else one of two recounts is stale).
    PERFORM 1 FROM task_batches WHERE id = NEW.batch_id FOR UPDATE;
    UPDATE task_batches b SET
        total_count     = c.total,
        completed_count = c.completed,
        failed_count    = c.failed,
        cancelled_count = c.cancelled,
        status = CASE
            WHEN c.completed + c.failed + c.cancelled < c.total THEN
                CASE WHEN c.started > 0 THEN 'running' ELSE 'pending' END
            WHEN c.completed = c.total THEN 'completed'
            WHEN c.cancelled = c.total THEN 'cancelled'
            WHEN c.completed > 0 THEN 'partial'
            ELSE 'failed' END,
        completed_at = CASE WHEN c.completed + c.failed + c.cancelled = c.total
                            THEN coalesce(b.completed_at, now()) END
    FROM (SELECT count(*) AS total,
                 count(*) FILTER (WHERE status = 'completed') AS completed,
                 count(*) FILTER (WHERE status IN ('failed', 'timeout')) AS failed,
                 count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
                 count(*) FILTER (WHERE attempt > 0) AS started
          FROM tasks WHERE batch_id = NEW.batch_id) c
    WHERE b.id = NEW.batch_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER tasks_recount_batch AFTER UPDATE OF status ON tasks
    FOR EACH ROW WHEN (NEW.batch_id IS NOT NULL AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION kiln_recount_batch();

-- ---- webhooks: an outbox written with the task's end ----
-- A task with a webhook_url gets a delivery row in the same transaction that ends it; the
-- leading dispatcher sends due rows (signed, retried with backoff) and never waits on them.
CREATE TABLE webhook_deliveries (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id          uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    url              text        NOT NULL,
    event            text        NOT NULL,               -- the task status it announces
    attempts         int         NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    last_status      int,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL;

CREATE FUNCTION kiln_enqueue_webhook() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (task_id, url, event) VALUES (NEW.id, NEW.webhook_url, NEW.status);
    RETURN NULL;
END
$$;

CREATE TRIGGER tasks_enqueue_webhook AFTER UPDATE OF status ON tasks
    FOR EACH ROW WHEN (NEW.webhook_url IS NOT NULL AND OLD.status IS DISTINCT FROM NEW.status
                       AND NEW.status IN ('completed', 'failed', 'timeout', 'cancelled'))
    EXECUTE FUNCTION kiln_enqueue_webhook();

-- ---- dispatcher: claimable / running rows (partial indexes stay small) ----
-- Claim order with enable_priority = true: priority DESC, then tenants round-robin
-- (fair_seq), then created_at. Predicate is only status = 'pending' (not "AND NOT
-- is_deleted") so the index is usable whether or not the claim query names is_deleted;
-- deleting a task cancels it first, so deleted pending rows are rare.
CREATE INDEX ix_tasks_claim_priority ON tasks (queue, priority DESC, fair_seq, created_at)
    WHERE status = 'pending';
-- Claim order with enable_priority = false: tenants round-robin, then FIFO by created_at.
CREATE INDEX ix_tasks_claim_fifo ON tasks (queue, fair_seq, created_at)
    WHERE status = 'pending';
-- The tail of a tenant's line, read when a task is queued to give it the next fair_seq.
CREATE INDEX ix_tasks_tenant_line ON tasks (queue, tenant, fair_seq DESC)
    WHERE status = 'pending';
-- Retrying rows become claimable when next_retry_at <= now().
-- Replaces seed 003's (status, next_retry_at) on both job tables: per queue, partial.
CREATE INDEX ix_tasks_retry_due ON tasks (queue, next_retry_at)
    WHERE status = 'retrying';
-- Running count per queue (max_concurrency).
CREATE INDEX ix_tasks_running_queue ON tasks (queue)
    WHERE status = 'running';
-- A lost / draining worker's tasks.
CREATE INDEX ix_tasks_running_worker ON tasks (worker_id)
    WHERE status = 'running';
-- Timeout sweep.
CREATE INDEX ix_tasks_running_timeout ON tasks (timeout_at)
    WHERE status = 'running';
-- Lease-expiry sweep.
CREATE INDEX ix_tasks_running_lease ON tasks (lease_expires_at)
    WHERE status = 'running';
-- seed 003 (status, priority DESC, created_at) on both job tables is replaced by
-- ix_tasks_claim_priority: per queue and partial, so it only holds claimable rows.

-- ---- API reads ----
-- GET /tasks for a client / end user, newest first. Also covers seed 004
-- idx_tasks_user_created better: user ids are only unique within a client.
CREATE INDEX ix_tasks_client_user_created ON tasks (api_client_id, user_id, created_at DESC);
-- seed 000 ix_tasks_user_status = seed 004 idx_tasks_user_status; its leading
-- column also serves seed 004 idx_tasks_user_id, so that one is not created.
CREATE INDEX ix_tasks_user_status ON tasks (user_id, status);
-- seed 000 ix_tasks_batch + seed 002 idx_image_generation_tasks_batch (batch_id, batch_index).
CREATE INDEX ix_tasks_batch ON tasks (batch_id, batch_index) WHERE batch_id IS NOT NULL;
-- seed 002 idx_image_generation_tasks_status (status); queue added second so the
-- queue-depth gauges (kiln_queue_depth{queue,status}) are served too.
CREATE INDEX ix_tasks_status_queue ON tasks (status, queue);
-- Recycle bin.
CREATE INDEX ix_tasks_deleted ON tasks (api_client_id, user_id, deleted_at DESC) WHERE is_deleted;
-- Idempotency-Key: one task per (client, key).
CREATE UNIQUE INDEX uq_tasks_idempotency ON tasks (api_client_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- seed 000 task_events. The identity id is the SSE event id (monotonic).
-- event_type: seed 000 `succeeded` -> completed (DESIGN §3 vocabulary).
CREATE TABLE task_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id     uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    event_type  text        NOT NULL
                CHECK (event_type IN ('created', 'started', 'progress', 'retrying',
                                      'completed', 'failed', 'cancelled', 'timeout')),
    payload     jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- Replay after Last-Event-ID for one task.
CREATE INDEX ix_task_events_task_id ON task_events (task_id, id);

-- seed 001 TaskExecution: every attempt of every task is one row, written when
-- the attempt is settled. seed 001's TaskIQ string task_id -> tasks.id (uuid).
-- config_id is ON DELETE SET NULL (DESIGN §9; seed 001's ORM cascade is not
-- kept) so history survives its config.
CREATE TABLE task_executions (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    config_id         bigint      REFERENCES task_configs (id) ON DELETE SET NULL,
    task_id           uuid        REFERENCES tasks (id) ON DELETE CASCADE,
    attempt           int         CHECK (attempt >= 0),
    worker_id         text,
    status            text        NOT NULL
                      CHECK (status IN ('completed', 'failed', 'timeout', 'cancelled',
                                        'worker_lost', 'retrying')),
    is_success        boolean     NOT NULL,
    started_at        timestamptz NOT NULL,
    completed_at      timestamptz,
    duration_seconds  double precision CHECK (duration_seconds >= 0),
    result            jsonb,
    error_code        text,
    error_message     text,
    error_traceback   text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_task_executions_task_attempt UNIQUE (task_id, attempt)
);
-- GET /admin/task-configs/{id}/executions, newest first.
CREATE INDEX ix_task_executions_config_started ON task_executions (config_id, started_at DESC)
    WHERE config_id IS NOT NULL;

-- seed 000 task_assets: inputs, outputs, previews of a task (also where seed
-- 002's image_id / output_path / preview_path / relative paths now live).
CREATE TABLE task_assets (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    task_id     uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    asset_type  text        NOT NULL CHECK (asset_type IN ('input', 'output', 'preview')),
    object_key  text        NOT NULL,               -- key in the asset store
    url         text,
    file_name   text,
    mime_type   text,
    size_bytes  bigint      CHECK (size_bytes >= 0),
    width       int         CHECK (width > 0),
    height      int         CHECK (height > 0),
    checksum    text,                               -- SHA-256, lower-case hex
    metadata    jsonb       NOT NULL DEFAULT '{}',  -- seed 000 ORM extra_metadata
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_task_assets_task ON task_assets (task_id, asset_type);
-- seed 000: checksum is there "for de-duplication".
CREATE INDEX ix_task_assets_checksum ON task_assets (checksum) WHERE checksum IS NOT NULL;

-- Credit movements. hold: balance -> held; capture: held spent; release: held
-- returned; refund: credits given back after a failure (seed 004); grant /
-- adjust: top-ups and corrections. balance_after / held_after snapshot the wallet.
CREATE TABLE credit_ledger (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wallet_id      uuid        NOT NULL REFERENCES wallets (id),
    task_id        uuid        REFERENCES tasks (id) ON DELETE SET NULL,
    kind           text        NOT NULL
                   CHECK (kind IN ('grant', 'hold', 'capture', 'release', 'refund', 'adjust')),
    amount         bigint      NOT NULL,
    balance_after  bigint      NOT NULL,
    held_after     bigint      NOT NULL,
    hold_id        uuid,                            -- groups a hold with its capture / release
    note           text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
-- ---- credits: held with the task, captured or released with its end (seeds 000, 004) ----
-- Kept by the database itself, so every path that creates or ends a task (submit, batch,
-- settle, cancel, delete, manual retry) moves credits in its own transaction, exactly once:
-- a hold is placed when a task row is really inserted (AFTER INSERT: an idempotent repeat
-- that inserts nothing holds nothing), and settled when the task first reaches an end.
-- Not enough credits raises SQLSTATE KL402, which the API answers with 402.
CREATE FUNCTION kiln_hold_credits(task tasks) RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
    w wallets;
    hold uuid := gen_random_uuid();
BEGIN
    INSERT INTO wallets (api_client_id, user_id) VALUES (task.api_client_id, coalesce(task.user_id, ''))
        ON CONFLICT ON CONSTRAINT uq_wallets_owner DO NOTHING;
    UPDATE wallets SET balance = balance - task.points_cost, held = held + task.points_cost
        WHERE api_client_id = task.api_client_id AND user_id = coalesce(task.user_id, '') AND balance >= task.points_cost
        RETURNING * INTO w;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insufficient credits: % needs %', task.tool_action, task.points_cost USING ERRCODE = 'KL402';
    END IF;
    INSERT INTO credit_ledger (wallet_id, task_id, kind, amount, balance_after, held_after, hold_id)
        VALUES (w.id, task.id, 'hold', task.points_cost, w.balance, w.held, hold);
    RETURN hold;
END
$$;

CREATE FUNCTION kiln_credits_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tasks SET wallet_hold_id = kiln_hold_credits(NEW) WHERE id = NEW.id;
    RETURN NULL;
END
$$;

CREATE FUNCTION kiln_credits_on_status() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    w wallets;
    ended_before boolean := OLD.status IN ('completed', 'failed', 'timeout', 'cancelled');
    ends_now boolean := NEW.status IN ('completed', 'failed', 'timeout', 'cancelled');
BEGIN
    IF ends_now AND NOT ended_before THEN
        IF NEW.status = 'completed' THEN
            UPDATE wallets SET held = held - NEW.points_cost
                WHERE id = (SELECT wallet_id FROM credit_ledger WHERE hold_id = NEW.wallet_hold_id AND kind = 'hold')
                RETURNING * INTO w;
            INSERT INTO credit_ledger (wallet_id, task_id, kind, amount, balance_after, held_after, hold_id)
                VALUES (w.id, NEW.id, 'capture', NEW.points_cost, w.balance, w.held, NEW.wallet_hold_id);
            NEW.credits_consumed := NEW.points_cost;
        ELSE
            UPDATE wallets SET held = held - NEW.points_cost, balance = balance + NEW.points_cost
                WHERE id = (SELECT wallet_id FROM credit_ledger WHERE hold_id = NEW.wallet_hold_id AND kind = 'hold')
                RETURNING * INTO w;
            INSERT INTO credit_ledger (wallet_id, task_id, kind, amount, balance_after, held_after, hold_id)
                VALUES (w.id, NEW.id, 'release', NEW.points_cost, w.balance, w.held, NEW.wallet_hold_id);
            NEW.credits_consumed := 0;
        END IF;
    ELSIF ended_before AND NOT ends_now THEN
        -- a manual retry: a new hold for the new run
        NEW.wallet_hold_id := kiln_hold_credits(NEW);
        NEW.credits_consumed := NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER tasks_hold_credits AFTER INSERT ON tasks
    FOR EACH ROW WHEN (NEW.points_cost > 0) EXECUTE FUNCTION kiln_credits_on_insert();
CREATE TRIGGER tasks_settle_credits BEFORE UPDATE OF status ON tasks
    FOR EACH ROW WHEN (NEW.points_cost > 0 AND NEW.wallet_hold_id IS NOT NULL AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION kiln_credits_on_status();

CREATE INDEX ix_credit_ledger_wallet_created ON credit_ledger (wallet_id, created_at DESC, id DESC);
CREATE INDEX ix_credit_ledger_task ON credit_ledger (task_id) WHERE task_id IS NOT NULL;
-- Each kind of movement happens at most once per hold ...
CREATE UNIQUE INDEX uq_credit_ledger_hold_kind ON credit_ledger (hold_id, kind)
    WHERE hold_id IS NOT NULL;
-- ... and a hold is settled exactly one way: captured OR released, never both.
CREATE UNIQUE INDEX uq_credit_ledger_hold_settled ON credit_ledger (hold_id)
    WHERE kind IN ('capture', 'release');


-- =============================================================================
-- Generation requests, images, models, gallery (seed 003)
-- seed 003's ImageGenerationJob / ModelGenerationJob ARE tasks rows in Kiln:
-- generated_images.task_id and models.task_id point at them (1:1, unique).
-- =============================================================================

-- seed 003 GenerationRequest: four image tasks -> AWAITING_SELECTION ->
-- selected_image_index -> one model task -> COMPLETED.
CREATE TABLE generation_requests (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id               uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    prompt                text        NOT NULL,
    status                text        NOT NULL DEFAULT 'IMAGE_PENDING'
                          CHECK (status IN ('IMAGE_PENDING', 'IMAGE_GENERATING', 'IMAGE_COMPLETED',
                                            'IMAGE_FAILED', 'MODEL_PENDING', 'MODEL_GENERATING',
                                            'MODEL_COMPLETED', 'MODEL_FAILED', 'COMPLETED',
                                            'FAILED', 'CANCELLED')),          -- RequestStatus
    phase                 text        NOT NULL DEFAULT 'IMAGE_GENERATION'
                          CHECK (phase IN ('IMAGE_GENERATION', 'AWAITING_SELECTION',
                                           'MODEL_GENERATION', 'COMPLETED')), -- RequestPhase
    selected_image_index  int         CHECK (selected_image_index >= 0),     -- generated_images.image_index
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    completed_at          timestamptz
);
CREATE INDEX ix_generation_requests_user_created ON generation_requests (user_id, created_at DESC);
CREATE INDEX ix_generation_requests_status_phase ON generation_requests (status, phase);

-- seed 003 GeneratedImage.
CREATE TABLE generated_images (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id     uuid        NOT NULL REFERENCES generation_requests (id) ON DELETE CASCADE,
    image_index    int         NOT NULL CHECK (image_index >= 0),  -- seed 003 `index` (a keyword; renamed)
    image_url      text,
    image_prompt   text,
    image_status   text        NOT NULL DEFAULT 'PENDING'
                   CHECK (image_status IN ('PENDING', 'GENERATING', 'COMPLETED', 'FAILED')), -- ImageStatus
    task_id        uuid        REFERENCES tasks (id) ON DELETE SET NULL,  -- its ImageGenerationJob
    created_at     timestamptz NOT NULL DEFAULT now(),
    completed_at   timestamptz,
    failed_at      timestamptz,
    error_message  text,
    CONSTRAINT uq_generated_images_request_index UNIQUE (request_id, image_index),
    CONSTRAINT uq_generated_images_task UNIQUE (task_id)   -- seed 003 job imageId @unique (1:1)
);
-- seed 003 @@index([requestId]) is not created: uq_generated_images_request_index
-- leads with request_id and serves the same lookups.
CREATE INDEX ix_generated_images_status ON generated_images (image_status);

-- seed 003 Model: AI-generated and user-uploaded models alike.
CREATE TABLE models (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source             text        NOT NULL DEFAULT 'AI_GENERATED'
                       CHECK (source IN ('AI_GENERATED', 'USER_UPLOADED')),    -- ModelSource
    -- 1 request : 1 model, enforced by the database (seed 003).
    request_id         uuid        REFERENCES generation_requests (id) ON DELETE SET NULL,
    source_image_id    uuid        REFERENCES generated_images (id) ON DELETE SET NULL,
    task_id            uuid        REFERENCES tasks (id) ON DELETE SET NULL,  -- its ModelGenerationJob
    name               text        NOT NULL,
    description        text,
    model_url          text,
    preview_image_url  text,
    format             text        NOT NULL DEFAULT 'OBJ',
    file_size          bigint      CHECK (file_size >= 0),   -- bytes; seed Int widened to bigint
    visibility         text        NOT NULL DEFAULT 'PRIVATE'
                       CHECK (visibility IN ('PRIVATE', 'PUBLIC')),            -- ModelVisibility
    published_at       timestamptz,
    view_count         int         NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    like_count         int         NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    favorite_count     int         NOT NULL DEFAULT 0 CHECK (favorite_count >= 0),
    download_count     int         NOT NULL DEFAULT 0 CHECK (download_count >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    completed_at       timestamptz,
    failed_at          timestamptz,
    error_message      text,
    CONSTRAINT uq_models_request      UNIQUE (request_id),
    CONSTRAINT uq_models_source_image UNIQUE (source_image_id),
    CONSTRAINT uq_models_task         UNIQUE (task_id)  -- seed 003 job modelId @unique (1:1)
);
CREATE INDEX ix_models_user_created          ON models (user_id, created_at DESC);
CREATE INDEX ix_models_source                ON models (source);
CREATE INDEX ix_models_visibility_published  ON models (visibility, published_at DESC);
CREATE INDEX ix_models_visibility_likes      ON models (visibility, like_count DESC);

-- seed 003 ModelInteraction: likes and favourites (toggles).
CREATE TABLE model_interactions (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    model_id    uuid        NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    type        text        NOT NULL CHECK (type IN ('LIKE', 'FAVORITE')),  -- InteractionType
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_model_interactions_user_model_type UNIQUE (user_id, model_id, type)
);
CREATE INDEX ix_model_interactions_user_type_created ON model_interactions (user_id, type, created_at DESC);
CREATE INDEX ix_model_interactions_model_type        ON model_interactions (model_id, type);


-- =============================================================================
-- updated_at triggers
-- =============================================================================
CREATE TRIGGER trg_api_clients_updated_at         BEFORE UPDATE ON api_clients         FOR EACH ROW EXECUTE FUNCTION kiln_set_updated_at();
CREATE TRIGGER trg_users_updated_at               BEFORE UPDATE ON users               FOR EACH ROW EXECUTE FUNCTION kiln_set_updated_at();
CREATE TRIGGER trg_wallets_updated_at             BEFORE UPDATE ON wallets             FOR EACH ROW EXECUTE FUNCTION kiln_set_updated_at();
CREATE TRIGGER trg_queue_configs_updated_at       BEFORE UPDATE ON queue_configs       FOR EACH ROW EXECUTE FUNCTION kiln_set_updated_at();
CREATE TRIGGER trg_task_configs_updated_at        BEFORE UPDATE ON task_configs        FOR EACH ROW EXECUTE FUNCTION kiln_set_updated_at();
CREATE TRIGGER trg_task_batches_updated_at        BEFORE UPDATE ON task_batches        FOR EACH ROW EXECUTE FUNCTION kiln_set_updated_at();
CREATE TRIGGER trg_tasks_updated_at               BEFORE UPDATE ON tasks               FOR EACH ROW EXECUTE FUNCTION kiln_set_updated_at();
CREATE TRIGGER trg_generation_requests_updated_at BEFORE UPDATE ON generation_requests FOR EACH ROW EXECUTE FUNCTION kiln_set_updated_at();
CREATE TRIGGER trg_models_updated_at              BEFORE UPDATE ON models              FOR EACH ROW EXECUTE FUNCTION kiln_set_updated_at();
