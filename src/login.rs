//! Signing citizens in: browser sessions (SSO) in the state store and the password
//! method with per-account and per-address lockout. Later methods (SMS, federation,
//! passkeys…) end the same way: a [`Session`] with their `amr` and `acr`.

pub mod otp;
pub mod passkey;
pub mod password;
pub mod qr;
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

/// Lifts the SMS lock and the password lockout of a phone number (support's recovery
/// path after a citizen proved who they are); returns whether anything was locked.
pub async fn unlock_phone(
    svc: &crate::app::Services,
    phone: &crate::domain::Phone,
    actor: &str,
) -> Result<bool, LoginError> {
    let was_locked = otp::unlock(svc, phone.as_str()).await.map_err(|e| LoginError::Unavailable(e.to_string()))?
        | password::unlock(svc, phone.as_str()).await?;
    svc.audit
        .record(
            crate::audit::AuditEvent::success(crate::audit::AuditKind::AccountChanged)
                .actor(actor.to_owned())
                .detail(serde_json::json!({ "what": "unlocked", "was_locked": was_locked })),
        )
        .await;
    Ok(was_locked)
}
