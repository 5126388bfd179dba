DROP TABLE audit_events;
DROP TABLE users;
DROP TABLE signing_keys;
DROP TABLE clients;
