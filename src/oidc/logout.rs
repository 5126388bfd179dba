//! Ending sessions: RP-initiated logout (OIDC RP-Initiated Logout 1.0) and back-channel
//! logout (OIDC Back-Channel Logout 1.0). Each client that received tokens in a session
//! is remembered under the session id; ending the session sends each of them a signed
//! logout token in the background (with retries, never holding up the browser) and
//! revokes their refresh tokens from that session where they asked for it.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use super::{OAuthError, subject};
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::models::refresh_token as refresh_db;
use crate::db::now;
use crate::domain::{Client, ClientId};
use crate::jose::random_token;
use crate::login::Session;
use crate::state::EphemeralStore;

/// Delivery attempts for one logout token, and the pause before each retry.
const RETRY_DELAYS: [Duration; 3] = [Duration::from_secs(1), Duration::from_secs(3), Duration::from_secs(10)];

fn clients_key(sid: &str) -> String {
    format!("sessclients:{sid}")
}

/// Records that `client_id` received tokens in session `sid`.
pub async fn remember_client(svc: &Services, sid: &str, client_id: &str) -> Result<(), OAuthError> {
    let key = clients_key(sid);
    let mut clients: Vec<String> =
        svc.state.get(&key).await?.and_then(|raw| serde_json::from_slice(&raw).ok()).unwrap_or_default();
    if !clients.iter().any(|c| c == client_id) {
        clients.push(client_id.to_owned());
        let value = serde_json::to_vec(&clients).expect("a list always serializes");
        svc.state.put(&key, &value, svc.config.session_ttl).await?;
    }
    Ok(())
}

/// A checked logout request.
#[derive(Debug, Default)]
pub struct LogoutRequest {
    /// The client named by the hint or `client_id`.
    pub client: Option<Arc<Client>>,
    /// Where to send the browser afterwards (registered, with `state` added).
    pub redirect: Option<String>,
    /// `sid` of a valid `id_token_hint`.
    pub hinted_sid: Option<String>,
    /// `sub` of a valid `id_token_hint`.
    pub hinted_sub: Option<String>,
}

/// Why a logout request cannot be honoured as asked (shown on a page).
#[derive(Debug)]
pub struct LogoutError(pub &'static str);

/// Checks `id_token_hint`, `client_id`, `post_logout_redirect_uri` and `state`.
pub async fn check(
    svc: &Services,
    id_token_hint: Option<&str>,
    client_id: Option<&str>,
    post_logout_redirect_uri: Option<&str>,
    state: Option<&str>,
) -> Result<LogoutRequest, LogoutError> {
    let mut request = LogoutRequest::default();
    let mut hinted_client = None;
    if let Some(hint) = id_token_hint {
        let claims = svc.keys.current().verify(hint).map_err(|_| LogoutError("the id_token_hint is not valid"))?.claims;
        if claims.get("iss").and_then(Value::as_str) != Some(svc.config.issuer.as_str()) {
            return Err(LogoutError("the id_token_hint was not issued here"));
        }
        hinted_client = claims.get("aud").and_then(Value::as_str).map(str::to_owned);
        request.hinted_sid = claims.get("sid").and_then(Value::as_str).map(str::to_owned);
        request.hinted_sub = claims.get("sub").and_then(Value::as_str).map(str::to_owned);
    }
    if let (Some(from_hint), Some(given)) = (&hinted_client, client_id)
        && from_hint != given
    {
        return Err(LogoutError("client_id does not match the id_token_hint"));
    }
    if let Some(id) = hinted_client.as_deref().or(client_id) {
        let id = ClientId::parse(id).map_err(|_| LogoutError("unknown client"))?;
        let client = svc.clients.get(&id).await.map_err(|_| LogoutError("the service is unavailable"))?;
        request.client = Some(client.ok_or(LogoutError("unknown client"))?);
    }
    if let Some(uri) = post_logout_redirect_uri {
        let Some(client) = &request.client else {
            return Err(LogoutError("post_logout_redirect_uri needs id_token_hint or client_id"));
        };
        if !client.post_logout_redirect_uris.iter().any(|u| u.as_str() == uri) {
            return Err(LogoutError("post_logout_redirect_uri is not registered for this client"));
        }
        let mut target = uri.to_owned();
        if let Some(state) = state {
            let encoded: String =
                url::form_urlencoded::Serializer::new(String::new()).append_pair("state", state).finish();
            target.push(if target.contains('?') { '&' } else { '?' });
            target.push_str(&encoded);
        }
        request.redirect = Some(target);
    }
    Ok(request)
}

/// Whether the hint names the browser's session, so no confirmation is needed.
pub fn hint_matches(svc: &Services, request: &LogoutRequest, session: &Session) -> bool {
    match (&request.hinted_sid, &request.hinted_sub, &request.client) {
        (Some(sid), _, _) => *sid == session.sid,
        (None, Some(sub), Some(client)) => *sub == subject::for_client(svc, client, &session.user_id),
        _ => false,
    }
}

/// Ends the session behind `cookie`, notifies its clients and audits it.
pub async fn end_session(svc: &Services, cookie: &str, ip: Option<IpAddr>) -> Result<(), OAuthError> {
    let Some(session) = Session::load(&svc.state, cookie).await? else { return Ok(()) };
    Session::destroy(&svc.state, cookie).await?;
    ended(svc, &session, ip).await
}

/// Ends the account's session `sid` from another browser (the profile page), with the
/// same notifications; returns whether it was live.
pub async fn end_other_session(
    svc: &Services,
    user_id: &str,
    sid: &str,
    ip: Option<IpAddr>,
) -> Result<bool, OAuthError> {
    match Session::end_by_sid(&svc.state, user_id, sid, svc.config.session_ttl).await? {
        Some(session) => ended(svc, &session, ip).await.map(|()| true),
        None => Ok(false),
    }
}

/// Notifies the clients of an ended session, revokes what they asked to be revoked,
/// and audits it.
async fn ended(svc: &Services, session: &Session, ip: Option<IpAddr>) -> Result<(), OAuthError> {
    let clients: Vec<String> = svc
        .state
        .take(&clients_key(&session.sid))
        .await?
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .unwrap_or_default();
    let mut notified = Vec::new();
    for id in &clients {
        let Ok(id) = ClientId::parse(id) else { continue };
        let Some(client) = svc.clients.get(&id).await? else { continue };
        if client.logout_revokes_refresh {
            let (sid, client_id) = (session.sid.clone(), client.id.to_string());
            svc.db.run(move |conn| refresh_db::revoke_for_session(conn, &sid, &client_id, now())).await?;
        }
        if let Some(uri) = &client.backchannel_logout_uri {
            let token = logout_token(svc, &client, session)?;
            notified.push(client.id.to_string());
            tokio::spawn(deliver(svc.clone(), client.id.to_string(), uri.as_str().to_owned(), token));
        }
    }
    svc.audit
        .record(
            AuditEvent::success(AuditKind::LoggedOut)
                .subject(session.user_id.clone())
                .ip(ip)
                .detail(json!({ "sid": session.sid, "clients": clients, "backchannel": notified })),
        )
        .await;
    Ok(())
}

#[derive(Serialize)]
struct LogoutTokenClaims<'a> {
    iss: &'a str,
    sub: String,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    sid: &'a str,
    events: Value,
}

/// OIDC Back-Channel Logout §2.4: a signed JWT with the back-channel event, no nonce.
fn logout_token(svc: &Services, client: &Client, session: &Session) -> Result<String, OAuthError> {
    let iat = now();
    let claims = LogoutTokenClaims {
        iss: svc.config.issuer.as_str(),
        sub: subject::for_client(svc, client, &session.user_id),
        aud: client.id.as_str(),
        iat,
        exp: iat + 120,
        jti: random_token(16),
        sid: &session.sid,
        events: json!({ "http://schemas.openid.net/event/backchannel-logout": {} }),
    };
    svc.keys.current().active().sign("logout+jwt", &claims).map_err(super::issue::sign_error)
}

/// POSTs the logout token, retrying on failure; the outcome is audited.
async fn deliver(svc: Services, client_id: String, uri: String, token: String) {
    let mut attempt = 0;
    loop {
        let result = svc.outbound.post(&uri).form(&[("logout_token", token.as_str())]).send().await;
        let status = result.as_ref().ok().map(|r| r.status().as_u16());
        if status.is_some_and(|s| (200..300).contains(&s)) {
            svc.audit
                .record(
                    AuditEvent::success(AuditKind::BackchannelLogout)
                        .client(client_id.as_str())
                        .detail(json!({ "attempts": attempt + 1 })),
                )
                .await;
            return;
        }
        let Some(delay) = RETRY_DELAYS.get(attempt) else {
            tracing::warn!(client.id = %client_id, "back-channel logout not delivered");
            svc.audit
                .record(
                    AuditEvent::failure(AuditKind::BackchannelLogout)
                        .client(client_id.as_str())
                        .detail(json!({ "attempts": attempt + 1, "last_status": status })),
                )
                .await;
            return;
        };
        tracing::info!(client.id = %client_id, ?status, "back-channel logout failed; retrying");
        tokio::time::sleep(*delay).await;
        attempt += 1;
    }
}
