-- Where a sign-in code was asked from: one client address may ask for only so many codes an
-- hour, whatever addresses it names (KILN_EMAIL_CODES_PER_IP), so Kiln cannot be used to mail-bomb.
ALTER TABLE email_verification_codes ADD COLUMN requested_from inet;
CREATE INDEX ix_email_codes_requested_from ON email_verification_codes (requested_from, created_at DESC)
    WHERE requested_from IS NOT NULL;

-- An Idempotency-Key belongs to its tenant (a client, or one end user of it), not to the whole
-- client: every user signed in by e-mail acts through the client "users", and one must never be
-- replayed another's task. request_hash (SHA-256 of the request, keys sorted) tells a repeat
-- from a different request under the same key.
DROP INDEX uq_tasks_idempotency;
CREATE UNIQUE INDEX uq_tasks_idempotency ON tasks (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
ALTER TABLE tasks ADD COLUMN request_hash text;
ALTER TABLE task_batches ADD COLUMN request_hash text;
