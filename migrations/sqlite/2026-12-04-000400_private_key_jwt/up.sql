-- private_key_jwt: the client's public keys, inline (JWK Set JSON) or by URL.
ALTER TABLE clients ADD COLUMN jwks TEXT;
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;
