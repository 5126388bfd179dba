-- Logout: where clients may be sent after logout, back-channel logout receivers, and
-- whether ending a session revokes the client's refresh tokens from it.
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN logout_revokes_refresh BOOLEAN NOT NULL DEFAULT 0;
CREATE INDEX refresh_tokens_sid ON refresh_tokens (sid, client_id);
