DROP INDEX refresh_tokens_sid;
ALTER TABLE clients DROP COLUMN logout_revokes_refresh;
ALTER TABLE clients DROP COLUMN backchannel_logout_uri;
ALTER TABLE clients DROP COLUMN post_logout_redirect_uris;
