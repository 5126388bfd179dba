//! Row types and their queries, one file per table.

pub mod audit_event;
pub mod client;
pub mod consent;
pub mod federated_identity;
pub mod identity_verification;
pub mod initial_access_token;
pub mod passkey;
pub mod refresh_token;
pub mod signing_key;
pub mod user;
