//! Passkeys (WebAuthn through `webauthn-rs`): the project's biometric method. The
//! fingerprint, face or PIN check happens inside the citizen's device, which only
//! reports that user verification succeeded and signs the challenge; no biometric
//! template, image or hash ever reaches Vhod. The server keeps the public key and a
//! signature counter.
//!
//! Registration needs a signed-in session; sign-in uses discoverable credentials (no
//! user name typed, browser conditional UI). User verification is required. A passkey
//! session counts as two factors (possession + inherence or knowledge on the device):
//! `amr` = `hwk` (device-bound key) or `swk` (synced key), `user`, `mfa`.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};

use super::Session;
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::models::passkey::{self as passkey_db, PasskeyRow};
use crate::db::models::user::{self as user_db, UserRow};
use crate::db::now;
use crate::jose::{b64url, random_token};
use crate::state::EphemeralStore;

/// How long a ceremony may take.
const CEREMONY_TTL: Duration = Duration::from_secs(300);
/// Failed passkey sign-ins per address before it waits.
const MAX_FAILURES: u64 = 20;
/// That window.
const WINDOW: Duration = Duration::from_secs(900);

/// Passkey errors.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// Passkeys need an issuer whose host is a domain name.
    #[error("passkeys are not available: the issuer's host must be a domain name")]
    Unavailable,
    /// Unknown, expired or foreign ceremony.
    #[error("the passkey request expired; try again")]
    Expired,
    /// The authenticator's answer did not verify.
    #[error("the passkey was not accepted")]
    Rejected,
    /// Too many failures from this address.
    #[error("too many failed passkey attempts; try again later")]
    Locked,
    /// A backing store failed.
    #[error("{0}")]
    Store(String),
}

impl From<crate::state::StateError> for PasskeyError {
    fn from(e: crate::state::StateError) -> Self {
        Self::Store(e.to_string())
    }
}

impl From<crate::db::DbError> for PasskeyError {
    fn from(e: crate::db::DbError) -> Self {
        Self::Store(e.to_string())
    }
}

/// The relying-party configuration, when the issuer allows passkeys.
pub fn relying_party(issuer: &str) -> Option<Webauthn> {
    let url = Url::parse(issuer).ok()?;
    let host = url.domain()?.to_owned();
    let origin = Url::parse(&url.origin().ascii_serialization()).ok()?;
    WebauthnBuilder::new(&host, &origin).ok()?.rp_name("Vhod").build().ok()
}

fn webauthn(svc: &Services) -> Result<&Webauthn, PasskeyError> {
    svc.webauthn.as_deref().ok_or(PasskeyError::Unavailable)
}

/// The WebAuthn user handle of an account: its 16-byte id when it is one, else a digest.
pub fn user_handle(user_id: &str) -> Uuid {
    use base64::Engine as _;
    match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(user_id) {
        Ok(bytes) if bytes.len() == 16 => Uuid::from_slice(&bytes).expect("16 bytes"),
        _ => {
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, user_id.as_bytes());
            Uuid::from_slice(&digest.as_ref()[..16]).expect("16 bytes")
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Registration {
    user_id: String,
    browser: String,
    state: PasskeyRegistration,
}

#[derive(Serialize, Deserialize)]
struct Authentication {
    browser: String,
    state: DiscoverableAuthentication,
}

/// Starts registering a passkey for a signed-in account.
pub async fn register_start(
    svc: &Services,
    user: &UserRow,
    browser: &str,
) -> Result<(String, CreationChallengeResponse), PasskeyError> {
    let webauthn = webauthn(svc)?;
    let id = user.id.clone();
    let existing = svc.db.run(move |conn| passkey_db::for_user(conn, &id)).await?;
    let exclude = existing
        .iter()
        .filter_map(|p| serde_json::from_str::<Passkey>(&p.credential).ok())
        .map(|p| p.cred_id().clone())
        .collect::<Vec<_>>();
    let display =
        [&user.given_name, &user.family_name].iter().filter_map(|p| p.as_deref()).collect::<Vec<_>>().join(" ");
    let display = if display.is_empty() { user.username.clone() } else { display };
    let (options, state) = webauthn
        .start_passkey_registration(user_handle(&user.id), &user.username, &display, Some(exclude))
        .map_err(|_| PasskeyError::Rejected)?;
    let ceremony = random_token(16);
    let record = Registration { user_id: user.id.clone(), browser: browser.to_owned(), state };
    let value = serde_json::to_vec(&record).map_err(|e| PasskeyError::Store(e.to_string()))?;
    svc.state.put(&format!("pkreg:{ceremony}"), &value, CEREMONY_TTL).await?;
    Ok((ceremony, options))
}

/// Finishes a registration; returns the new passkey's id.
pub async fn register_finish(
    svc: &Services,
    user_id: &str,
    browser: &str,
    ceremony: &str,
    credential: &RegisterPublicKeyCredential,
    name: &str,
) -> Result<String, PasskeyError> {
    let webauthn = webauthn(svc)?;
    let raw = svc.state.take(&format!("pkreg:{ceremony}")).await?.ok_or(PasskeyError::Expired)?;
    let record: Registration = serde_json::from_slice(&raw).map_err(|_| PasskeyError::Expired)?;
    if record.user_id != user_id || record.browser != browser {
        return Err(PasskeyError::Expired);
    }
    let passkey =
        webauthn.finish_passkey_registration(credential, &record.state).map_err(|_| PasskeyError::Rejected)?;
    let name: String = name.trim().chars().filter(|c| !c.is_control()).take(60).collect();
    let row = PasskeyRow {
        id: b64url(passkey.cred_id().as_ref()),
        user_id: user_id.to_owned(),
        name: if name.is_empty() { "Passkey".into() } else { name },
        credential: serde_json::to_string(&passkey).map_err(|e| PasskeyError::Store(e.to_string()))?,
        created_at: now(),
        last_used_at: None,
    };
    let id = row.id.clone();
    svc.db.run(move |conn| passkey_db::insert(conn, &row)).await?;
    svc.audit
        .record(
            AuditEvent::success(AuditKind::AccountChanged)
                .subject(user_id.to_owned())
                .detail(json!({ "what": "passkey_added", "passkey": id })),
        )
        .await;
    Ok(id)
}

fn failures_key(ip: Option<IpAddr>) -> String {
    format!("pkfail:{}", ip.map_or_else(|| "-".to_owned(), |ip| ip.to_string()))
}

/// Starts a discoverable sign-in for this browser.
pub async fn login_start(
    svc: &Services,
    browser: &str,
    ip: Option<IpAddr>,
) -> Result<(String, RequestChallengeResponse), PasskeyError> {
    let webauthn = webauthn(svc)?;
    if svc.state.count(&failures_key(ip)).await? >= MAX_FAILURES {
        return Err(PasskeyError::Locked);
    }
    let (options, state) = webauthn.start_discoverable_authentication().map_err(|_| PasskeyError::Rejected)?;
    let ceremony = random_token(16);
    let value = serde_json::to_vec(&Authentication { browser: browser.to_owned(), state })
        .map_err(|e| PasskeyError::Store(e.to_string()))?;
    svc.state.put(&format!("pkauth:{ceremony}"), &value, CEREMONY_TTL).await?;
    Ok((ceremony, options))
}

/// Verifies a discoverable sign-in; returns the account and the session's methods.
pub async fn login_finish(
    svc: &Services,
    browser: &str,
    ceremony: &str,
    credential: &PublicKeyCredential,
    ip: Option<IpAddr>,
) -> Result<(UserRow, Vec<String>), PasskeyError> {
    let outcome = verify(svc, browser, ceremony, credential).await;
    match &outcome {
        Ok((user, amr)) => {
            svc.audit
                .record(
                    AuditEvent::success(AuditKind::LoginSucceeded)
                        .subject(user.id.clone())
                        .ip(ip)
                        .detail(json!({ "method": "passkey", "amr": amr })),
                )
                .await;
        }
        Err(PasskeyError::Rejected | PasskeyError::Expired) => {
            svc.state.incr(&failures_key(ip), WINDOW).await?;
            svc.audit
                .record(AuditEvent::failure(AuditKind::LoginFailed).ip(ip).detail(json!({ "method": "passkey" })))
                .await;
        }
        Err(_) => {}
    }
    outcome
}

async fn verify(
    svc: &Services,
    browser: &str,
    ceremony: &str,
    credential: &PublicKeyCredential,
) -> Result<(UserRow, Vec<String>), PasskeyError> {
    let webauthn = webauthn(svc)?;
    let raw = svc.state.take(&format!("pkauth:{ceremony}")).await?.ok_or(PasskeyError::Expired)?;
    let record: Authentication = serde_json::from_slice(&raw).map_err(|_| PasskeyError::Expired)?;
    if record.browser != browser {
        return Err(PasskeyError::Expired);
    }
    let (handle, cred_id) =
        webauthn.identify_discoverable_authentication(credential).map_err(|_| PasskeyError::Rejected)?;
    let id = b64url(cred_id);
    let row = svc.db.run(move |conn| passkey_db::find(conn, &id)).await?.ok_or(PasskeyError::Rejected)?;
    if user_handle(&row.user_id) != handle {
        return Err(PasskeyError::Rejected);
    }
    let mut passkey: Passkey = serde_json::from_str(&row.credential).map_err(|_| PasskeyError::Rejected)?;
    let result = webauthn
        .finish_discoverable_authentication(credential, record.state, &[DiscoverableKey::from(&passkey)])
        .map_err(|_| PasskeyError::Rejected)?;
    if !result.user_verified() {
        return Err(PasskeyError::Rejected);
    }
    passkey.update_credential(&result);
    let stored = serde_json::to_string(&passkey).map_err(|e| PasskeyError::Store(e.to_string()))?;
    let (pid, uid) = (row.id.clone(), row.user_id.clone());
    let user = svc
        .db
        .run(move |conn| {
            passkey_db::used(conn, &pid, &stored, now())?;
            user_db::find_by_id(conn, &uid)
        })
        .await?
        .ok_or(PasskeyError::Rejected)?;
    let key = if result.backup_eligible() { "swk" } else { "hwk" };
    Ok((user, vec![key.to_owned(), "user".to_owned(), "mfa".to_owned()]))
}

/// An account's passkeys.
pub async fn list(svc: &Services, user_id: &str) -> Result<Vec<PasskeyRow>, PasskeyError> {
    let id = user_id.to_owned();
    Ok(svc.db.run(move |conn| passkey_db::for_user(conn, &id)).await?)
}

/// Removes one of an account's passkeys.
pub async fn remove(svc: &Services, user_id: &str, passkey_id: &str) -> Result<bool, PasskeyError> {
    let (uid, pid) = (user_id.to_owned(), passkey_id.to_owned());
    let removed = svc.db.run(move |conn| passkey_db::delete(conn, &uid, &pid)).await?;
    if removed {
        svc.audit
            .record(
                AuditEvent::success(AuditKind::AccountChanged)
                    .subject(user_id.to_owned())
                    .detail(json!({ "what": "passkey_removed", "passkey": passkey_id })),
            )
            .await;
    }
    Ok(removed)
}

/// A session for a passkey sign-in.
pub fn session(user: &UserRow, amr: Vec<String>) -> Session {
    Session::new(user.id.clone(), amr, crate::accounts::level_of(user))
}
