//! Signing citizens in: browser sessions (SSO) in the state store and the password
//! method with per-account and per-address lockout. Later methods (SMS, federation,
//! passkeys…) end the same way: a [`Session`] with their `amr` and `acr`.

pub mod otp;
pub mod password;
pub mod session;

pub use session::Session;

/// Sign-in errors.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong user name or password (never says which).
    #[error("wrong user name or password")]
    Invalid,
    /// Too many failures for this account or address.
    #[error("too many failed attempts")]
    Locked,
    /// A backing store is down.
    #[error("{0}")]
    Unavailable(String),
}

impl From<crate::state::StateError> for LoginError {
    fn from(e: crate::state::StateError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<crate::db::DbError> for LoginError {
    fn from(e: crate::db::DbError) -> Self {
        Self::Unavailable(e.to_string())
    }
}
