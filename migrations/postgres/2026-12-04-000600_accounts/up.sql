-- Citizen accounts: identity data (stored as entered), the account level, the state of
-- the registry check, and the history of who verified what, when and how.
ALTER TABLE users ADD COLUMN account_level TEXT NOT NULL DEFAULT 'simplified';
ALTER TABLE users ADD COLUMN gender TEXT;
ALTER TABLE users ADD COLUMN snils TEXT;
ALTER TABLE users ADD COLUMN inn TEXT;
ALTER TABLE users ADD COLUMN id_document TEXT;
ALTER TABLE users ADD COLUMN registry_status TEXT;
ALTER TABLE users ADD COLUMN registry_detail TEXT;
-- A verified phone number signs in one account only.
CREATE UNIQUE INDEX users_verified_phone ON users (phone_number) WHERE phone_number_verified;
CREATE INDEX users_snils ON users (snils);
CREATE INDEX users_registry_pending ON users (registry_status);

CREATE TABLE identity_verifications (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    level TEXT NOT NULL,
    method TEXT NOT NULL,
    verifier TEXT NOT NULL,
    claims TEXT NOT NULL,
    evidence TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX identity_verifications_user ON identity_verifications (user_id, created_at);
