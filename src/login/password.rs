//! The password method: Argon2id verification on the password-verifier threads (one
//! per core, each reusing its Argon2 memory), with failures counted per account and per
//! address. The same message and the same work answer unknown accounts, wrong
//! passwords and locked accounts, so the page never reveals whether an account exists.

use std::net::IpAddr;
use std::sync::OnceLock;

use secrecy::SecretString;
use serde_json::json;

use super::LoginError;
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::credentials::hash_password;
use crate::db::models::user::{self as user_db, UserRow};
use crate::domain::Phone;
use crate::state::EphemeralStore;

/// Verifies against this hash when the account does not exist, so timing is the same.
pub(crate) fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password(&SecretString::from(crate::jose::random_token(16))).expect("hashing a random password works")
    })
}

/// The sign-in name as the lockout counts it: phone numbers in any spelling count once.
fn canonical(username: &str) -> String {
    match Phone::parse(username) {
        Ok(phone) => phone.as_str().to_owned(),
        Err(_) => username.trim().to_lowercase(),
    }
}

fn account_key(svc: &Services, username: &str) -> String {
    format!("pwfail:a:{}", svc.secrets.key_digest(&canonical(username)))
}

fn address_key(ip: Option<IpAddr>) -> String {
    format!("pwfail:ip:{}", ip.map_or_else(|| "-".to_owned(), |ip| ip.to_string()))
}

/// Checks a user name and password; returns the account.
pub async fn authenticate(
    svc: &Services,
    username: &str,
    password: SecretString,
    ip: Option<IpAddr>,
) -> Result<UserRow, LoginError> {
    let config = &svc.config;
    let (account, address) = (account_key(svc, username), address_key(ip));
    if svc.state.count(&account).await? >= config.login_max_failures
        || svc.state.count(&address).await? >= config.login_ip_max_failures
    {
        svc.audit.record(AuditEvent::failure(AuditKind::LoginLocked).ip(ip).detail(json!({ "method": "pwd" }))).await;
        return Err(LoginError::Locked);
    }
    let name = username.trim().to_owned();
    let phone = Phone::parse(&name).ok();
    let user = svc
        .db
        .run(move |conn| match user_db::find_by_username(conn, &name)? {
            Some(user) => Ok(Some(user)),
            // Citizens who registered by phone may type it in any spelling.
            None => match phone {
                Some(phone) => user_db::find_by_verified_phone(conn, phone.as_str()),
                None => Ok(None),
            },
        })
        .await?;
    let phc = user.as_ref().and_then(|u| u.password_hash.clone()).unwrap_or_else(|| dummy_hash().to_owned());
    let matches = svc.passwords.verify(password, phc).await.map_err(|e| LoginError::Unavailable(e.to_string()))?;
    match user {
        Some(user) if matches && user.password_hash.is_some() => {
            svc.state.delete(&account).await?;
            Ok(user)
        }
        user => {
            svc.state.incr(&account, config.login_lockout).await?;
            svc.state.incr(&address, config.login_lockout).await?;
            let mut event = AuditEvent::failure(AuditKind::LoginFailed).ip(ip).detail(json!({ "method": "pwd" }));
            if let Some(user) = user {
                event = event.subject(user.id);
            }
            svc.audit.record(event).await;
            Err(LoginError::Invalid)
        }
    }
}

/// Clears the failure count of a user name; returns whether it had any.
pub async fn unlock(svc: &Services, username: &str) -> Result<bool, LoginError> {
    Ok(svc.state.delete(&account_key(svc, username)).await?)
}

/// Checks the current password of a signed-in account (before changing it), under the
/// same per-account lockout as sign-in.
pub async fn verify_current(svc: &Services, user: &UserRow, password: SecretString) -> Result<(), LoginError> {
    let Some(phc) = user.password_hash.clone() else { return Err(LoginError::Invalid) };
    let account = account_key(svc, &user.username);
    if svc.state.count(&account).await? >= svc.config.login_max_failures {
        return Err(LoginError::Locked);
    }
    if svc.passwords.verify(password, phc).await.map_err(|e| LoginError::Unavailable(e.to_string()))? {
        return Ok(());
    }
    svc.state.incr(&account, svc.config.login_lockout).await?;
    svc.audit
        .record(
            AuditEvent::failure(AuditKind::LoginFailed)
                .subject(user.id.clone())
                .detail(json!({ "method": "pwd_change" })),
        )
        .await;
    Err(LoginError::Invalid)
}
