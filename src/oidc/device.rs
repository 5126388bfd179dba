//! The device authorization grant (RFC 8628) for kiosks, terminals and TVs.
//!
//! `POST /device_authorization` gives the device a `device_code` and the citizen a
//! short `user_code`; the citizen enters it at `/device` on any screen, signs in by any
//! method, sees which application on which device is asking, and approves or denies.
//! The device polls `/token` and gets `authorization_pending`, `slow_down` (polling
//! faster than the interval, which then grows by 5 s), `access_denied`,
//! `expired_token`, or the tokens. Wrong user codes are counted per address.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client_auth::{self, Presented};
use super::issue::{UserGrant, user_tokens};
use super::params::Params;
use super::token::{TokenRequest, TokenResponse};
use super::{ErrorCode, OAuthError};
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::now;
use crate::domain::{Client, GrantType, Scopes};
use crate::jose::random_token;
use crate::login::Session;
use crate::state::EphemeralStore;

/// How long a device code lives.
pub const DEVICE_CODE_TTL: Duration = Duration::from_secs(600);
/// The polling interval the device is told.
pub const INTERVAL_SECS: i64 = 5;
/// Letters that cannot be mistaken for each other or for digits (no vowels: no words).
const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Wrong user codes from one address before it must wait.
const MAX_GUESSES: u64 = 10;
/// The guessing window.
const GUESS_WINDOW: Duration = Duration::from_secs(900);

/// What the device is told (RFC 8628 §3.2).
#[derive(Debug, Serialize)]
pub struct DeviceAuthorization {
    /// Polled at `/token`.
    pub device_code: String,
    /// Typed by the citizen.
    pub user_code: String,
    /// Where to type it.
    pub verification_uri: String,
    /// The same with the code filled in (for a QR code).
    pub verification_uri_complete: String,
    /// Seconds until expiry.
    pub expires_in: u64,
    /// Seconds between polls.
    pub interval: i64,
}

/// Where a device grant stands.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for the citizen.
    Pending,
    /// Approved in this session.
    Approved {
        /// The account.
        user_id: String,
        /// Session id.
        sid: String,
        /// Authentication time.
        auth_time: i64,
        /// Methods.
        amr: Vec<String>,
        /// Context class.
        acr: String,
    },
    /// Denied by the citizen.
    Denied,
}

/// A device grant in the state store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceGrant {
    /// The client.
    pub client_id: String,
    /// Requested scopes.
    pub scope: String,
    /// The user code (canonical form).
    pub user_code: String,
    /// Where it stands.
    pub status: Status,
    /// Current polling interval.
    pub interval: i64,
    /// Last poll (Unix seconds).
    pub last_poll: i64,
    /// Expiry (Unix seconds).
    pub expires_at: i64,
}

fn grant_key(device_code: &str) -> String {
    super::flow::digest_key("device", device_code)
}

fn user_key(user_code: &str) -> String {
    format!("usercode:{user_code}")
}

/// The canonical form of a typed user code: letters only, upper case (dashes, spaces and
/// case do not matter).
pub fn canonical(raw: &str) -> String {
    raw.chars().filter(|c| c.is_ascii_alphabetic()).map(|c| c.to_ascii_uppercase()).collect()
}

/// `BCDF-GHJK`.
pub fn display(code: &str) -> String {
    if code.len() == 8 { format!("{}-{}", &code[..4], &code[4..]) } else { code.to_owned() }
}

fn new_user_code() -> String {
    let mut out = String::with_capacity(8);
    while out.len() < 8 {
        let mut raw = [0u8; 16];
        aws_lc_rs::rand::fill(&mut raw).expect("the system random generator failed");
        // 256 is not a multiple of 20: bytes from 240 up are skipped to stay uniform.
        for byte in raw.into_iter().filter(|b| *b < 240) {
            if out.len() < 8 {
                out.push(ALPHABET[usize::from(byte % 20)] as char);
            }
        }
    }
    out
}

async fn save(svc: &Services, key: &str, grant: &DeviceGrant) -> Result<(), OAuthError> {
    let left = (grant.expires_at - now()).max(1) as u64;
    let value = serde_json::to_vec(grant).expect("a device grant serializes");
    svc.state.put(key, &value, Duration::from_secs(left)).await?;
    Ok(())
}

async fn load(svc: &Services, key: &str) -> Result<Option<DeviceGrant>, OAuthError> {
    Ok(svc.state.get(key).await?.and_then(|raw| serde_json::from_slice(&raw).ok()))
}

/// `POST /device_authorization`: authenticates the client and starts a grant.
pub async fn authorize(svc: &Services, request: TokenRequest<'_>) -> Result<DeviceAuthorization, OAuthError> {
    let params = Params::from_form(request.content_type, request.body)?;
    let presented = Presented::extract(request.authorization, &params)?;
    let client = client_auth::authenticate(svc, presented, request.ip).await?;
    if !client.allows_grant(GrantType::DeviceCode) {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "this client may not use the device grant"));
    }
    let scope = match params.get("scope") {
        Some(raw) => {
            let scopes = Scopes::parse(raw).map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?;
            if let Some(extra) = scopes.not_in(&client.scopes).next() {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!("scope `{}` is not allowed for this client", extra.as_str()),
                ));
            }
            scopes.to_string()
        }
        None => "openid".to_owned(),
    };
    let device_code = random_token(32);
    let user_code = new_user_code();
    let grant = DeviceGrant {
        client_id: client.id.to_string(),
        scope,
        user_code: user_code.clone(),
        status: Status::Pending,
        interval: INTERVAL_SECS,
        last_poll: 0,
        expires_at: now() + DEVICE_CODE_TTL.as_secs() as i64,
    };
    let key = grant_key(&device_code);
    if !svc.state.put_new(&user_key(&user_code), key.as_bytes(), DEVICE_CODE_TTL).await? {
        return Err(OAuthError::new(ErrorCode::TemporarilyUnavailable, "try again"));
    }
    save(svc, &key, &grant).await?;
    svc.audit
        .record(
            AuditEvent::success(AuditKind::DeviceAuthorized)
                .client(client.id.as_str())
                .ip(request.ip)
                .detail(json!({ "scope": grant.scope })),
        )
        .await;
    let verification_uri = svc.config.issuer.endpoint("/device");
    Ok(DeviceAuthorization {
        device_code,
        verification_uri_complete: format!("{verification_uri}?user_code={}", display(&user_code)),
        user_code: display(&user_code),
        verification_uri,
        expires_in: DEVICE_CODE_TTL.as_secs(),
        interval: INTERVAL_SECS,
    })
}

/// Why a typed user code was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum LookupError {
    /// Unknown, used or expired.
    Unknown,
    /// Too many wrong codes from this address.
    TooManyGuesses,
}

/// The grant a typed user code names, counting wrong codes per address.
pub async fn lookup(
    svc: &Services,
    raw: &str,
    ip: Option<IpAddr>,
) -> Result<Result<(String, DeviceGrant), LookupError>, OAuthError> {
    let guesses = format!("usercodefail:{}", ip.map_or_else(|| "-".to_owned(), |ip| ip.to_string()));
    if svc.state.count(&guesses).await? >= MAX_GUESSES {
        return Ok(Err(LookupError::TooManyGuesses));
    }
    let code = canonical(raw);
    let found = if code.len() == 8 {
        match svc.state.get(&user_key(&code)).await? {
            Some(key) => {
                let key = String::from_utf8_lossy(&key).into_owned();
                load(svc, &key).await?.filter(|g| g.status == Status::Pending).map(|g| (key, g))
            }
            None => None,
        }
    } else {
        None
    };
    match found {
        Some(found) => Ok(Ok(found)),
        None => {
            let count = svc.state.incr(&guesses, GUESS_WINDOW).await?;
            svc.audit
                .record(AuditEvent::failure(AuditKind::DeviceCodeGuessed).ip(ip).detail(json!({ "failures": count })))
                .await;
            Ok(Err(if count >= MAX_GUESSES { LookupError::TooManyGuesses } else { LookupError::Unknown }))
        }
    }
}

/// The authorization request through which a citizen approves a device grant: no
/// redirect URI, always asks, bound to this browser.
pub fn request_for(grant: &DeviceGrant, key: &str, browser: String) -> super::authorize::AuthorizationRequest {
    super::authorize::AuthorizationRequest {
        client_id: grant.client_id.clone(),
        redirect_uri: String::new(),
        response_mode: super::authorize::ResponseMode::Query,
        scope: grant.scope.clone(),
        state: None,
        nonce: None,
        code_challenge: None,
        force_login: false,
        force_consent: true,
        no_prompt: false,
        max_age: None,
        login_hint: None,
        hinted_subject: None,
        ui_locales: None,
        acr_values: Vec::new(),
        received_at: now(),
        signed_in_sid: None,
        browser: Some(browser),
        device: Some(key.to_owned()),
    }
}

/// Records the citizen's decision for the grant stored under `key`.
pub async fn decide(svc: &Services, key: &str, session: &Session, acr: Option<String>) -> Result<bool, OAuthError> {
    let Some(mut grant) = load(svc, key).await? else { return Ok(false) };
    if grant.status != Status::Pending {
        return Ok(false);
    }
    grant.status = match acr {
        Some(acr) => Status::Approved {
            user_id: session.user_id.clone(),
            sid: session.sid.clone(),
            auth_time: session.auth_time,
            amr: session.amr.clone(),
            acr,
        },
        None => Status::Denied,
    };
    svc.state.delete(&user_key(&grant.user_code)).await?;
    save(svc, key, &grant).await?;
    let approved = matches!(grant.status, Status::Approved { .. });
    svc.audit
        .record(
            AuditEvent::success(AuditKind::DeviceDecided)
                .client(grant.client_id.clone())
                .subject(session.user_id.clone())
                .detail(json!({ "approved": approved })),
        )
        .await;
    Ok(true)
}

/// The token grant: the device polls with its `device_code`.
pub async fn poll(
    svc: &Services,
    client: &Client,
    params: &Params,
    ip: Option<IpAddr>,
) -> Result<TokenResponse, OAuthError> {
    let device_code = params.require("device_code")?;
    let key = grant_key(device_code);
    let expired = || OAuthError::new(ErrorCode::ExpiredToken, "the device code expired; start again");
    let Some(mut grant) = load(svc, &key).await? else { return Err(expired()) };
    if grant.client_id != client.id.as_str() {
        return Err(OAuthError::new(ErrorCode::InvalidGrant, "the device code was issued to another client"));
    }
    let at = now();
    if grant.expires_at <= at {
        return Err(expired());
    }
    match &grant.status {
        Status::Pending => {
            let too_fast = at - grant.last_poll < grant.interval;
            if too_fast {
                grant.interval += 5;
            }
            grant.last_poll = at;
            save(svc, &key, &grant).await?;
            if too_fast {
                return Err(OAuthError::new(ErrorCode::SlowDown, format!("poll at most every {} s", grant.interval)));
            }
            Err(OAuthError::new(ErrorCode::AuthorizationPending, "the citizen has not approved yet"))
        }
        Status::Denied => {
            svc.state.delete(&key).await?;
            Err(OAuthError::new(ErrorCode::AccessDenied, "the citizen denied the request"))
        }
        Status::Approved { .. } => {
            // Take it atomically: two polls cannot both get tokens.
            let Some(taken) = svc.state.take(&key).await? else { return Err(expired()) };
            let grant: DeviceGrant = serde_json::from_slice(&taken).map_err(|_| expired())?;
            let Status::Approved { user_id, sid, auth_time, amr, acr } = grant.status else { return Err(expired()) };
            let scopes = Scopes::parse(&grant.scope).map_err(|_| expired())?;
            let user_grant = UserGrant {
                user_id: &user_id,
                scopes: &scopes,
                sid: &sid,
                auth_time,
                amr: &amr,
                acr: &acr,
                nonce: None,
                family_id: None,
                grant: GrantType::DeviceCode,
                actor: None,
                until: None,
            };
            let (response, _) = user_tokens(svc, client, user_grant, ip).await?;
            Ok(response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_eight_unambiguous_letters_typed_any_way() {
        for _ in 0..200 {
            let code = new_user_code();
            assert_eq!(code.len(), 8);
            assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        }
        assert_eq!(canonical("bcdf-ghjk"), "BCDFGHJK");
        assert_eq!(canonical(" BCDF GHJK "), "BCDFGHJK");
        assert_eq!(display("BCDFGHJK"), "BCDF-GHJK");
    }
}
