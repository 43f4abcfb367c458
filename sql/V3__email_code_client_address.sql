-- Where a sign-in code was asked from: one client address may ask for only so many codes an
-- hour, whatever addresses it names (KILN_EMAIL_CODES_PER_IP), so Kiln cannot be used to mail-bomb.
ALTER TABLE email_verification_codes ADD COLUMN requested_from inet;
CREATE INDEX ix_email_codes_requested_from ON email_verification_codes (requested_from, created_at DESC)
    WHERE requested_from IS NOT NULL;
