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

diesel::table! {
    /// Staff accounts (operators, partners, support, auditors, admins).
    staff (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        phone -> Text,
        roles -> Text,
        office -> Text,
        disabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// One-time codes handed over by staff or by post (activation, post, temporary).
    assisted_codes (id) {
        id -> Text,
        kind -> Text,
        user_id -> Text,
        code_hash -> Text,
        detail -> Text,
        issued_by -> Text,
        office -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        presented_at -> Nullable<BigInt>,
        presented_by -> Nullable<Text>,
        used_at -> Nullable<BigInt>,
        failed_attempts -> BigInt,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Registration applications submitted by partner organisations.
    applications (id) {
        id -> Text,
        partner -> Text,
        organisation -> Text,
        status -> Text,
        form -> Text,
        search -> Text,
        reason -> Nullable<Text>,
        user_id -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// Document scans attached to applications.
    application_files (id) {
        id -> Text,
        application_id -> Text,
        name -> Text,
        content_type -> Text,
        size -> BigInt,
        content -> Binary,
        created_at -> BigInt,
    }
}

diesel::table! {
    /// Powers of attorney: a representative may act for a principal.
    powers_of_attorney (id) {
        id -> Text,
        principal_id -> Text,
        representative_id -> Text,
        clients -> Text,
        scopes -> Text,
        valid_from -> BigInt,
        valid_until -> BigInt,
        document_ref -> Text,
        recorded_by -> Text,
        office -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        revoked_by -> Nullable<Text>,
    }
}

diesel::table! {
    /// Sign-in problem requests moving through three support tiers.
    support_requests (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        contact -> Text,
        description -> Text,
        tier -> BigInt,
        status -> Text,
        opened_by -> Text,
        search -> Text,
        created_at -> BigInt,
        tier_started_at -> BigInt,
        tier1_secs -> BigInt,
        tier2_secs -> BigInt,
        tier3_secs -> BigInt,
        resolved_at -> Nullable<BigInt>,
        resolution -> Nullable<Text>,
    }
}

diesel::table! {
    /// The history of applications and support requests (append-only).
    case_events (id) {
        id -> Text,
        case_id -> Text,
        at -> BigInt,
        actor -> Text,
        action -> Text,
        detail -> Text,
    }
}
