DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE users;
DROP TABLE signing_keys;
DROP TABLE clients;
