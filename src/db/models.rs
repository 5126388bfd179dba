//! Row types and their queries, one file per table.

pub mod application;
pub mod assisted_code;
pub mod attorney;
pub mod audit_event;
pub mod client;
pub mod consent;
pub mod federated_identity;
pub mod identity_verification;
pub mod initial_access_token;
pub mod passkey;
pub mod refresh_token;
pub mod signing_key;
pub mod staff;
pub mod support_request;
pub mod user;
