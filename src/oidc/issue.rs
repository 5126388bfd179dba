//! Minting tokens for a signed-in citizen: the RFC 9068 access token, the OIDC ID token
//! and, for `offline_access`, a rotating refresh token.

use std::net::IpAddr;

use aws_lc_rs::digest;
use serde::Serialize;
use serde_json::json;

use super::token::TokenResponse;
use super::{OAuthError, subject};
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::models::refresh_token::{self as refresh_db, RefreshTokenRow};
use crate::db::now;
use crate::domain::{Audience, Client, GrantType, Scopes, SubjectType};
use crate::jose::{b64url, random_token};
use crate::keys::KeyError;

/// What a user grant carries into its tokens.
pub struct UserGrant<'a> {
    /// The account.
    pub user_id: &'a str,
    /// Granted scopes.
    pub scopes: &'a Scopes,
    /// Session id.
    pub sid: &'a str,
    /// Authentication time.
    pub auth_time: i64,
    /// Methods.
    pub amr: &'a [String],
    /// Context class.
    pub acr: &'a str,
    /// Nonce (code flow only).
    pub nonce: Option<&'a str>,
    /// Existing refresh family when rotating.
    pub family_id: Option<&'a str>,
    /// Which grant is being served (for the audit log).
    pub grant: GrantType,
    /// A representative acting for `user_id` under a power of attorney.
    pub actor: Option<Actor<'a>>,
    /// The grant ends at this Unix time (temporary access, a power's end).
    pub until: Option<i64>,
}

/// The representative behind a delegated grant.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// The representative's account.
    pub user_id: &'a str,
    /// The power of attorney.
    pub power_id: &'a str,
}

/// RFC 8693 §4.1 `act`: who is acting.
#[derive(Serialize)]
pub(super) struct ActClaim {
    sub: String,
}

/// `aud` is a string for one audience and an array for several (RFC 7519 §4.1.3).
#[derive(Serialize)]
#[serde(untagged)]
pub enum AudienceClaim<'a> {
    /// One audience.
    One(&'a str),
    /// Several.
    Many(Vec<&'a str>),
}

impl<'a> AudienceClaim<'a> {
    /// From a list.
    pub fn of(list: &'a [Audience]) -> Self {
        match list {
            [one] => Self::One(one.as_str()),
            many => Self::Many(many.iter().map(Audience::as_str).collect()),
        }
    }
}

/// RFC 9068 §2.2 access-token claims, shared by every grant.
#[derive(Serialize)]
pub(super) struct AccessTokenClaims<'a> {
    pub(super) iss: &'a str,
    pub(super) sub: &'a str,
    pub(super) aud: AudienceClaim<'a>,
    pub(super) client_id: &'a str,
    pub(super) iat: i64,
    pub(super) exp: i64,
    pub(super) jti: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) scope: Option<&'a str>,
    /// The representative, when one acts for `sub` (RFC 8693 §4.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) act: Option<ActClaim>,
    /// The power of attorney a delegated token rests on (checked on every use).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) poa: Option<&'a str>,
    /// Present when a citizen signed in (not for client_credentials).
    #[serde(flatten)]
    pub(super) user: Option<UserContext<'a>>,
}

/// How and when the citizen behind an access token authenticated.
#[derive(Serialize)]
pub(super) struct UserContext<'a> {
    auth_time: i64,
    acr: &'a str,
    amr: &'a [String],
    sid: &'a str,
    /// Sealed account reference, for pairwise clients whose `sub` cannot be reversed.
    #[serde(skip_serializing_if = "Option::is_none")]
    uref: Option<String>,
}

#[derive(Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    acr: &'a str,
    amr: &'a [String],
    azp: &'a str,
    at_hash: String,
    sid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    act: Option<ActClaim>,
}

/// What a code exchange issued, remembered so a replayed code can revoke it.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct Issued {
    /// Access-token id.
    pub jti: String,
    /// Access-token expiry.
    pub exp: i64,
    /// Refresh family, when one was started.
    pub family_id: Option<String>,
}

/// OIDC Core §3.1.3.6: left half of SHA-256 of the access token.
fn at_hash(access_token: &str) -> String {
    let d = digest::digest(&digest::SHA256, access_token.as_bytes());
    b64url(&d.as_ref()[..16])
}

/// A signing failure is a server error.
pub(super) fn sign_error(e: crate::jose::JoseError) -> OAuthError {
    OAuthError::from(KeyError::Generate(e.to_string()))
}

/// Issues the tokens of a user grant.
pub async fn user_tokens(
    svc: &Services,
    client: &Client,
    grant: UserGrant<'_>,
    ip: Option<IpAddr>,
) -> Result<(TokenResponse, Issued), OAuthError> {
    let config = &svc.config;
    let iat = now();
    let sub = subject::for_client(svc, client, grant.user_id);
    let jti = random_token(16);
    let audiences = client.default_audiences();
    let access_ttl = match grant.until {
        Some(until) => (config.access_token_ttl.as_secs() as i64).min(until - iat).max(1),
        None => config.access_token_ttl.as_secs() as i64,
    };
    let act = |client: &Client| grant.actor.map(|a| ActClaim { sub: subject::for_client(svc, client, a.user_id) });
    let scope = grant.scopes.to_string();
    let keys = svc.keys.current();
    let access_token = keys
        .active()
        .sign(
            "at+jwt",
            &AccessTokenClaims {
                iss: config.issuer.as_str(),
                sub: &sub,
                aud: AudienceClaim::of(&audiences),
                client_id: client.id.as_str(),
                iat,
                exp: iat + access_ttl,
                jti: &jti,
                scope: Some(&scope),
                act: act(client),
                poa: grant.actor.map(|a| a.power_id),
                user: Some(UserContext {
                    auth_time: grant.auth_time,
                    acr: grant.acr,
                    amr: grant.amr,
                    sid: grant.sid,
                    uref: (client.subject_type == SubjectType::Pairwise)
                        .then(|| svc.secrets.seal_reference(grant.user_id)),
                }),
            },
        )
        .map_err(sign_error)?;
    let id_token = if grant.scopes.contains("openid") {
        let claims = IdTokenClaims {
            iss: config.issuer.as_str(),
            sub: &sub,
            aud: client.id.as_str(),
            exp: iat
                + match grant.until {
                    // A delegated or temporary grant: the ID token ends with it too.
                    Some(until) => (config.id_token_ttl.as_secs() as i64).min((until - iat).max(1)),
                    None => config.id_token_ttl.as_secs() as i64,
                },
            iat,
            auth_time: grant.auth_time,
            nonce: grant.nonce,
            acr: grant.acr,
            amr: grant.amr,
            azp: client.id.as_str(),
            at_hash: at_hash(&access_token),
            sid: grant.sid,
            act: act(client),
        };
        Some(keys.active().sign("JWT", &claims).map_err(sign_error)?)
    } else {
        None
    };
    // Delegated and time-limited grants end with their power or their period: no
    // refresh token outlives them.
    let wants_refresh = grant.scopes.contains("offline_access")
        && client.allows_grant(GrantType::RefreshToken)
        && grant.actor.is_none()
        && grant.until.is_none();
    let (refresh_token, family_id) = if wants_refresh {
        let token = random_token(32);
        let family = grant.family_id.map_or_else(|| random_token(16), str::to_owned);
        let row = RefreshTokenRow {
            token_hash: refresh_digest(&token),
            family_id: family.clone(),
            client_id: client.id.to_string(),
            user_id: grant.user_id.to_owned(),
            scopes: scope.clone(),
            sid: grant.sid.to_owned(),
            auth_time: grant.auth_time,
            amr: grant.amr.join(" "),
            acr: grant.acr.to_owned(),
            created_at: iat,
            expires_at: iat + config.refresh_token_ttl.as_secs() as i64,
            used_at: None,
            revoked_at: None,
        };
        svc.db.run(move |conn| refresh_db::insert(conn, &row)).await?;
        (Some(token), Some(family))
    } else {
        (None, None)
    };
    let mut event = AuditEvent::success(AuditKind::TokenIssued)
        .client(client.id.as_str())
        .subject(grant.user_id.to_owned())
        .ip(ip)
        .detail(json!({ "grant_type": grant.grant.as_str(), "jti": jti, "scope": scope,
                        "id_token": id_token.is_some(), "refresh": family_id, "kid": keys.active().kid(),
                        "power_of_attorney": grant.actor.map(|a| a.power_id), "until": grant.until }));
    if let Some(actor) = grant.actor {
        event = event.actor(format!("user:{}", actor.user_id));
    }
    svc.audit.record(event).await;
    let response = TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: access_ttl as u64,
        scope: Some(scope),
        id_token,
        refresh_token,
        issued_token_type: None,
    };
    Ok((response, Issued { jti, exp: iat + access_ttl, family_id }))
}

/// How a refresh token is stored.
pub fn refresh_digest(token: &str) -> String {
    b64url(digest::digest(&digest::SHA256, token.as_bytes()).as_ref())
}
