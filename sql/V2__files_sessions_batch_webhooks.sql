-- Issue 4, second part: uploaded input images, e-mail sign-in sessions, batch webhooks.

-- ---- uploaded files (seed 004 source_image / reference_image are "file ids") ----
-- An image a caller uploads to use as a task input. The bytes live in the asset store,
-- content-addressed (files/<sha256>.<ext>), so the same upload twice is stored once.
CREATE TABLE files (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    api_client_id  text        NOT NULL REFERENCES api_clients (id),
    user_id        text,                              -- same meaning as tasks.user_id
    object_key     text        NOT NULL,
    mime_type      text        NOT NULL,
    size_bytes     bigint      NOT NULL CHECK (size_bytes >= 0),
    width          int         NOT NULL CHECK (width > 0),
    height         int         NOT NULL CHECK (height > 0),
    checksum       text        NOT NULL,              -- SHA-256, lower-case hex
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_files_owner ON files (api_client_id, user_id, created_at DESC);

-- ---- sign-in by e-mailed code (seed 003) ----
-- The API client that signed-in end users act through: their tasks, batches and wallets
-- belong to ('users', users.id). It has no key: its hash is not a SHA-256 of anything.
INSERT INTO api_clients (id, display_name, role, api_key_hash)
VALUES ('users', 'Signed-in end users (Authorization: Bearer)', 'third_party', 'no key: sign in by e-mailed code')
ON CONFLICT DO NOTHING;

-- A bearer token is shown once; only its SHA-256 is kept, like API keys.
CREATE TABLE user_sessions (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    text        NOT NULL,
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_user_sessions_token_hash UNIQUE (token_hash)
);
CREATE INDEX ix_user_sessions_user ON user_sessions (user_id);

-- ---- batch webhooks: a batch with a webhook_url is announced when it ends ----
ALTER TABLE webhook_deliveries ALTER COLUMN task_id DROP NOT NULL;
ALTER TABLE webhook_deliveries ADD COLUMN batch_id uuid REFERENCES task_batches (id) ON DELETE CASCADE;
ALTER TABLE webhook_deliveries ADD CONSTRAINT ck_webhook_deliveries_subject CHECK (num_nonnulls(task_id, batch_id) = 1);

CREATE FUNCTION kiln_enqueue_batch_webhook() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (batch_id, url, event) VALUES (NEW.id, NEW.webhook_url, NEW.status);
    RETURN NULL;
END
$$;

CREATE TRIGGER task_batches_enqueue_webhook AFTER UPDATE OF status ON task_batches
    FOR EACH ROW WHEN (NEW.webhook_url IS NOT NULL AND OLD.status IS DISTINCT FROM NEW.status
                       AND NEW.status IN ('completed', 'partial', 'failed', 'cancelled'))
    EXECUTE FUNCTION kiln_enqueue_batch_webhook();
