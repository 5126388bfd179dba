-- Dynamic client registration (RFC 7591/7592): initial access tokens an operator issues,
-- and each registered client's registration access token (both stored as SHA-256).
CREATE TABLE initial_access_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    uses_left BIGINT
);
ALTER TABLE clients ADD COLUMN registration_token_hash TEXT;
