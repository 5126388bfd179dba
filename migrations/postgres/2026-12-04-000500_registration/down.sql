ALTER TABLE clients DROP COLUMN registration_token_hash;
DROP TABLE initial_access_tokens;
