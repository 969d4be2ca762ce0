-- Account lockout (PostgreSQL). Never edit an applied migration: add a new one.
--
-- `failed_logins` counts consecutive failed sign-ins with a known email; a
-- success sets it back to 0. When it reaches the limit (100, NIST SP
-- 800-63B §5.2.2) `locked_at` is set in the same statement that counts the
-- failure, so the limit holds across server instances; a locked account
-- signs in again after a password reset or an administrator's unlock.
ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_at BIGINT;
