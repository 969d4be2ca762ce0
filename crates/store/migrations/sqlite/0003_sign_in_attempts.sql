-- Sign-in throttling (SQLite). Never edit an applied migration: add a new one.
--
-- One counter per email address and per client address. An attempt is
-- reserved here, in one statement, before its password is hashed, so that
-- at most the allowed number of guesses is ever evaluated, however many
-- arrive at once and on however many server instances. `kind` is 'email'
-- (`key` is the hex SHA-256 of the normalized address) or 'ip' (`key` is the
-- address as text). `attempts` counts the attempts reserved since
-- `window_start` (in flight or failed), `failures` those that failed. A row
-- whose window has ended is deleted by the next reservation.
CREATE TABLE sign_in_attempts (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX sign_in_attempts_window ON sign_in_attempts (window_start);
