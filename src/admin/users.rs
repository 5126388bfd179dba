//! Citizen accounts created by an operator.

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::AdminError;
use crate::audit::{Audit, AuditEvent, AuditKind};
use crate::credentials::hash_password;
use crate::db::models::user::{self as user_db, UserRow};
use crate::db::{DbError, DbPool, now};

pub use crate::accounts::MIN_PASSWORD_LEN;

/// Optional profile data for a new user.
#[derive(Debug, Default)]
pub struct Profile {
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// E-mail address (unverified).
    pub email: Option<String>,
}

/// A created user as shown to operators.
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    /// Stable subject identifier.
    pub id: String,
    /// Sign-in name.
    pub username: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Creates a user with an Argon2id password hash.
pub async fn create(
    db: &DbPool,
    audit: &Audit,
    actor: &str,
    username: &str,
    password: SecretString,
    profile: Profile,
) -> Result<UserView, AdminError> {
    if let Some(email) = &profile.email
        && (email.len() > 254 || !email.contains('@') || email.chars().any(char::is_whitespace))
    {
        return Err(AdminError::Invalid(format!("email: `{email}` is not an e-mail address")));
    }
    let username = username.trim().to_owned();
    if username.is_empty() || username.chars().count() > 128 || username.chars().any(char::is_control) {
        return Err(AdminError::Invalid("username: must be 1 to 128 printable characters".into()));
    }
    let length = password.expose_secret().chars().count();
    if !(MIN_PASSWORD_LEN..=256).contains(&length) {
        return Err(AdminError::Invalid(format!("password: must be {MIN_PASSWORD_LEN} to 256 characters")));
    }
    let phc = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AdminError::Invalid(format!("password hashing failed: {e}")))??;
    let at = now();
    let mut row = UserRow::new(crate::jose::random_token(16), username.clone(), at);
    row.password_hash = Some(phc);
    row.given_name = profile.given_name;
    row.family_name = profile.family_name;
    row.email = profile.email;
    let view = UserView { id: row.id.clone(), username: row.username.clone(), created_at: at };
    db.run(move |conn| user_db::insert(conn, &row)).await.map_err(|e| match e {
        DbError::Conflict => AdminError::Conflict(format!("user {username}")),
        other => other.into(),
    })?;
    audit.record(AuditEvent::success(AuditKind::UserCreated).actor(actor).subject(view.id.clone())).await;
    Ok(view)
}
