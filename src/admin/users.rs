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

/// One level change as operators see it.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryView {
    /// Unix seconds.
    pub at: i64,
    /// Level after the change.
    pub level: String,
    /// How (`phone_code`, `registry`, `bank`, `qes`, `in_person`, `data_changed`).
    pub method: String,
    /// Who verified.
    pub verifier: String,
    /// Which claims.
    pub claims: Vec<String>,
}

/// A citizen account as operators see it: level, registry state with the fields that
/// differ and why, and the level history. Identity numbers are not shown.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    /// Stable subject identifier.
    pub id: String,
    /// Sign-in name.
    pub username: String,
    /// `simplified`, `standard` or `confirmed`.
    pub account_level: String,
    /// Sign-in phone, E.164.
    pub phone_number: Option<String>,
    /// Whether it is verified.
    pub phone_number_verified: bool,
    /// Whether a password is set.
    pub has_password: bool,
    /// State of the registry check.
    pub registry_status: Option<String>,
    /// Fields the registry disagreed with, and why.
    pub mismatches: Vec<crate::accounts::registry::FieldMismatch>,
    /// Level history, newest first.
    pub history: Vec<HistoryView>,
}

/// Finds an account by id, user name or verified phone number.
pub async fn show(db: &DbPool, who: &str) -> Result<AccountView, AdminError> {
    let key = who.trim().to_owned();
    let phone = crate::domain::Phone::parse(&key).ok();
    let found = db
        .run(move |conn| {
            if let Some(user) = user_db::find_by_id(conn, &key)? {
                return Ok(Some(user));
            }
            if let Some(user) = user_db::find_by_username(conn, &key)? {
                return Ok(Some(user));
            }
            match phone {
                Some(phone) => user_db::find_by_verified_phone(conn, phone.as_str()),
                None => Ok(None),
            }
        })
        .await?;
    let user = found.ok_or_else(|| AdminError::NotFound(format!("account {who}")))?;
    let id = user.id.clone();
    let history = db.run(move |conn| crate::db::models::identity_verification::for_user(conn, &id)).await?;
    Ok(AccountView {
        mismatches: user.registry_detail.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default(),
        id: user.id,
        username: user.username,
        account_level: user.account_level,
        phone_number: user.phone_number,
        phone_number_verified: user.phone_number_verified,
        has_password: user.password_hash.is_some(),
        registry_status: user.registry_status,
        history: history
            .into_iter()
            .map(|h| HistoryView {
                at: h.created_at,
                level: h.level,
                method: h.method,
                verifier: h.verifier,
                claims: serde_json::from_str(&h.claims).unwrap_or_default(),
            })
            .collect(),
    })
}
