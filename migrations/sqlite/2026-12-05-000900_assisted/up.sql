-- Assisted channels: staff accounts, one-time codes handed over by staff or by post,
-- partner applications with their scans, powers of attorney, support requests, and
-- the history of each case.
CREATE TABLE staff (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    phone TEXT NOT NULL,
    roles TEXT NOT NULL,
    office TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE assisted_codes (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    detail TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    office TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    presented_at BIGINT,
    presented_by TEXT,
    used_at BIGINT,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT
);
CREATE INDEX assisted_codes_user ON assisted_codes (user_id, kind);

CREATE TABLE applications (
    id TEXT PRIMARY KEY NOT NULL,
    partner TEXT NOT NULL,
    organisation TEXT NOT NULL,
    status TEXT NOT NULL,
    form TEXT NOT NULL,
    search TEXT NOT NULL,
    reason TEXT,
    user_id TEXT,
    decided_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX applications_created ON applications (created_at);

CREATE TABLE application_files (
    id TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    content BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX application_files_application ON application_files (application_id);

CREATE TABLE powers_of_attorney (
    id TEXT PRIMARY KEY NOT NULL,
    principal_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    representative_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    clients TEXT NOT NULL,
    scopes TEXT NOT NULL,
    valid_from BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    document_ref TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    office TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_by TEXT
);
CREATE INDEX powers_of_attorney_representative ON powers_of_attorney (representative_id);
CREATE INDEX powers_of_attorney_principal ON powers_of_attorney (principal_id);

CREATE TABLE support_requests (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT,
    contact TEXT NOT NULL,
    description TEXT NOT NULL,
    tier BIGINT NOT NULL,
    status TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    search TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    tier_started_at BIGINT NOT NULL,
    tier1_secs BIGINT NOT NULL DEFAULT 0,
    tier2_secs BIGINT NOT NULL DEFAULT 0,
    tier3_secs BIGINT NOT NULL DEFAULT 0,
    resolved_at BIGINT,
    resolution TEXT
);
CREATE INDEX support_requests_created ON support_requests (created_at);

CREATE TABLE case_events (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id);
