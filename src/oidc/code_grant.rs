//! The `authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6) and `refresh_token`
//! (§6) grants. Codes are single-use: a replayed code revokes what its first use issued.
//! Refresh tokens rotate: a replayed one revokes its whole family.

use std::net::IpAddr;
use std::time::Duration;

use aws_lc_rs::digest;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::flow::{AuthCode, digest_key};
use super::issue::{Actor, Issued, UserGrant, refresh_digest, user_tokens};
use super::params::Params;
use super::token::TokenResponse;
use super::{ErrorCode, OAuthError};
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::models::refresh_token as refresh_db;
use crate::db::models::user as user_db;
use crate::db::now;
use crate::domain::{Client, GrantType, Scopes};
use crate::jose::b64url;
use crate::state::EphemeralStore;

/// How long a redeemed code's record stays, to recognise a replay.
const REDEEMED_TTL: Duration = Duration::from_secs(30 * 60);

fn invalid_grant(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, description)
}

/// Revokes an access token by `jti` until it would have expired.
pub async fn revoke_access_token(svc: &Services, jti: &str, exp: i64) -> Result<(), OAuthError> {
    let remaining = (exp - now()).max(1) as u64;
    svc.state.put(&format!("revoked:{jti}"), b"1", Duration::from_secs(remaining)).await?;
    Ok(())
}

/// Whether an access token was revoked.
pub async fn is_revoked(svc: &Services, jti: &str) -> Result<bool, OAuthError> {
    Ok(svc.state.get(&format!("revoked:{jti}")).await?.is_some())
}

/// Exchanges an authorization code.
pub async fn exchange(
    svc: &Services,
    client: &Client,
    params: &Params,
    ip: Option<IpAddr>,
) -> Result<TokenResponse, OAuthError> {
    let code = params.require("code")?;
    let redirect_uri = params.require("redirect_uri")?;
    let key = digest_key("code", code);
    let Some(raw) = svc.state.take(&key).await? else {
        return Err(replayed_or_unknown(svc, code, client, ip).await);
    };
    let record: AuthCode = serde_json::from_slice(&raw).map_err(|_| invalid_grant("the code is not valid"))?;
    if record.client_id != client.id.as_str() {
        return Err(invalid_grant("the code was issued to another client"));
    }
    if record.redirect_uri != redirect_uri {
        return Err(invalid_grant("redirect_uri differs from the authorization request"));
    }
    match (&record.code_challenge, params.get("code_verifier")) {
        (Some(challenge), Some(verifier)) => {
            let well_formed = (43..=128).contains(&verifier.len())
                && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            let computed = b64url(digest::digest(&digest::SHA256, verifier.as_bytes()).as_ref());
            if !well_formed || !bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
                return Err(invalid_grant("code_verifier does not match the code_challenge"));
            }
        }
        (Some(_), None) => return Err(invalid_grant("code_verifier is missing")),
        (None, Some(_)) => return Err(invalid_grant("no code_challenge was sent with the authorization request")),
        (None, None) => {}
    }
    let scopes = Scopes::parse(&record.scope).map_err(|_| invalid_grant("the code is not valid"))?;
    if record.until.is_some_and(|until| until <= now()) {
        return Err(invalid_grant("the grant behind this code has ended"));
    }
    if let Some(acting) = &record.actor
        && crate::staff::attorney::live(svc, &acting.power_id).await?.is_none()
    {
        return Err(invalid_grant("the power of attorney is no longer in force"));
    }
    let grant = UserGrant {
        user_id: &record.user_id,
        scopes: &scopes,
        sid: &record.sid,
        auth_time: record.auth_time,
        amr: &record.amr,
        acr: &record.acr,
        nonce: record.nonce.as_deref(),
        family_id: None,
        grant: GrantType::AuthorizationCode,
        actor: record.actor.as_ref().map(|a| Actor { user_id: &a.user_id, power_id: &a.power_id }),
        until: record.until,
    };
    let (response, issued) = user_tokens(svc, client, grant, ip).await?;
    let remembered = serde_json::to_vec(&issued).expect("always serializes");
    svc.state.put(&digest_key("redeemed", code), &remembered, REDEEMED_TTL).await?;
    Ok(response)
}

/// A code that is not live: if it was redeemed before, revoke what that issued.
async fn replayed_or_unknown(svc: &Services, code: &str, client: &Client, ip: Option<IpAddr>) -> OAuthError {
    let taken = match svc.state.take(&digest_key("redeemed", code)).await {
        Ok(taken) => taken,
        Err(e) => return e.into(),
    };
    let Some(issued) = taken.and_then(|raw| serde_json::from_slice::<Issued>(&raw).ok()) else {
        return invalid_grant("the code is invalid or expired");
    };
    let mut revoked_family = 0;
    if let Err(e) = revoke_access_token(svc, &issued.jti, issued.exp).await {
        return e;
    }
    if let Some(family) = issued.family_id.clone() {
        match svc.db.run(move |conn| refresh_db::revoke_family(conn, &family, now())).await {
            Ok(n) => revoked_family = n,
            Err(e) => return e.into(),
        }
    }
    svc.audit
        .record(
            AuditEvent::failure(AuditKind::CodeReused)
                .client(client.id.as_str())
                .ip(ip)
                .detail(json!({ "revoked_jti": issued.jti, "revoked_refresh_tokens": revoked_family })),
        )
        .await;
    invalid_grant("the code was already used; the tokens it issued are revoked")
}

/// Exchanges a refresh token for new tokens, rotating it.
pub async fn refresh(
    svc: &Services,
    client: &Client,
    params: &Params,
    ip: Option<IpAddr>,
) -> Result<TokenResponse, OAuthError> {
    let token = params.require("refresh_token")?;
    let hash = refresh_digest(token);
    let lookup = hash.clone();
    let Some(row) = svc.db.run(move |conn| refresh_db::find(conn, &lookup)).await? else {
        return Err(invalid_grant("the refresh token is invalid"));
    };
    if row.client_id != client.id.as_str() {
        return Err(invalid_grant("the refresh token was issued to another client"));
    }
    let at = now();
    let won = if row.used_at.is_none() && row.revoked_at.is_none() {
        let hash = hash.clone();
        svc.db.run(move |conn| refresh_db::mark_used(conn, &hash, at)).await?
    } else {
        false
    };
    if !won {
        if row.revoked_at.is_none() {
            let family = row.family_id.clone();
            let revoked = svc.db.run(move |conn| refresh_db::revoke_family(conn, &family, at)).await?;
            svc.audit
                .record(
                    AuditEvent::failure(AuditKind::RefreshReused)
                        .client(client.id.as_str())
                        .subject(row.user_id.clone())
                        .ip(ip)
                        .detail(json!({ "family": row.family_id, "revoked": revoked })),
                )
                .await;
        }
        return Err(invalid_grant("the refresh token was already used or revoked"));
    }
    if row.expires_at <= at {
        return Err(invalid_grant("the refresh token has expired"));
    }
    let granted = Scopes::parse(&row.scopes).map_err(|_| invalid_grant("the refresh token is invalid"))?;
    let scopes = match params.get("scope") {
        None => granted,
        Some(raw) => {
            let asked = Scopes::parse(raw).map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?;
            if asked.not_in(&granted).next().is_some() {
                return Err(OAuthError::new(ErrorCode::InvalidScope, "a refresh cannot widen the granted scope"));
            }
            asked
        }
    };
    let user_id = row.user_id.clone();
    if svc.db.run(move |conn| user_db::find_by_id(conn, &user_id)).await?.is_none() {
        return Err(invalid_grant("the account no longer exists"));
    }
    let amr: Vec<String> = row.amr.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let grant = UserGrant {
        user_id: &row.user_id,
        scopes: &scopes,
        sid: &row.sid,
        auth_time: row.auth_time,
        amr: &amr,
        acr: &row.acr,
        nonce: None,
        family_id: Some(&row.family_id),
        grant: GrantType::RefreshToken,
        actor: None,
        until: None,
    };
    // When `offline_access` is narrowed away, no new refresh token is issued and the
    // family ends here.
    let (response, _) = user_tokens(svc, client, grant, ip).await?;
    Ok(response)
}
