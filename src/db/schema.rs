//! Table definitions, maintained by hand with only the column types both backends share.

diesel::table! {
    /// Registered client applications.
    clients (id) {
        id -> Text,
        name -> Text,
        secret_hash -> Nullable<Binary>,
        token_endpoint_auth_method -> Text,
        grant_types -> Text,
        scopes -> Text,
        redirect_uris -> Text,
        audiences -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// RS256 signing keys, private halves encrypted with the key-encryption key.
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        public_jwk -> Text,
        private_key -> Binary,
        kek_id -> Text,
        created_at -> BigInt,
        activates_at -> BigInt,
    }
}

diesel::table! {
    /// Citizen accounts.
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// Append-only audit log.
    audit_events (id) {
        id -> BigInt,
        at_ms -> BigInt,
        kind -> Text,
        outcome -> Text,
        actor -> Nullable<Text>,
        client_id -> Nullable<Text>,
        subject -> Nullable<Text>,
        ip -> Nullable<Text>,
        detail -> Text,
    }
}
