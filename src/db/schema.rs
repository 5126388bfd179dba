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
        first_party -> Bool,
        subject_type -> Text,
        admin -> Bool,
        post_logout_redirect_uris -> Text,
        backchannel_logout_uri -> Nullable<Text>,
        logout_revokes_refresh -> Bool,
        jwks -> Nullable<Text>,
        jwks_uri -> Nullable<Text>,
        registration_token_hash -> Nullable<Text>,
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
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        middle_name -> Nullable<Text>,
        birthdate -> Nullable<Text>,
        email -> Nullable<Text>,
        email_verified -> Bool,
        phone_number -> Nullable<Text>,
        phone_number_verified -> Bool,
        address -> Nullable<Text>,
        account_level -> Text,
        gender -> Nullable<Text>,
        snils -> Nullable<Text>,
        inn -> Nullable<Text>,
        id_document -> Nullable<Text>,
        registry_status -> Nullable<Text>,
        registry_detail -> Nullable<Text>,
    }
}

diesel::table! {
    /// Who verified which identity data of an account, when, and how (append-only).
    identity_verifications (id) {
        id -> Text,
        user_id -> Text,
        level -> Text,
        method -> Text,
        verifier -> Text,
        claims -> Text,
        evidence -> Text,
        created_at -> BigInt,
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

diesel::table! {
    /// Remembered consent decisions, per user and client.
    consents (user_id, client_id) {
        user_id -> Text,
        client_id -> Text,
        scopes -> Text,
        granted_at -> BigInt,
    }
}

diesel::table! {
    /// Refresh tokens (stored as SHA-256), grouped in rotation families.
    refresh_tokens (token_hash) {
        token_hash -> Text,
        family_id -> Text,
        client_id -> Text,
        user_id -> Text,
        scopes -> Text,
        sid -> Text,
        auth_time -> BigInt,
        amr -> Text,
        acr -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Initial access tokens that open dynamic client registration.
    initial_access_tokens (token_hash) {
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        uses_left -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Upstream accounts linked to citizen accounts.
    federated_identities (provider, subject) {
        provider -> Text,
        subject -> Text,
        user_id -> Text,
        linked_at -> BigInt,
    }
}

diesel::table! {
    /// Passkeys: WebAuthn public-key credentials (webauthn-rs `Passkey` as JSON).
    passkeys (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        credential -> Text,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
    }
}
