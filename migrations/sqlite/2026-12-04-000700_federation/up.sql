-- Accounts at upstream identity providers (Yandex, VK, banks, other OIDC providers)
-- linked to citizen accounts: one upstream account signs in to one Vhod account.
CREATE TABLE federated_identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX federated_identities_user ON federated_identities (user_id);
