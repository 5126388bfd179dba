//! Token introspection (RFC 7662) and revocation (RFC 7009). Both authenticate the
//! client like the token endpoint. A client learns about a token only when it was
//! issued to it or names it (or an audience it is registered for) in `aud`; any other
//! token is simply `{"active": false}`, and the refusal is audited.

use std::net::IpAddr;

use serde_json::{Map, Value, json};

use super::client_auth::{self, Presented};
use super::code_grant::revoke_access_token;
use super::issue::refresh_digest;
use super::params::Params;
use super::token::TokenRequest;
use super::userinfo::BearerError;
use super::{ErrorCode, OAuthError, subject};
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::models::refresh_token::{self as refresh_db, RefreshTokenRow};
use crate::db::now;
use crate::domain::Client;

/// A token the server recognises, before the caller's right to see it is checked.
enum Known {
    Access(Map<String, Value>),
    Refresh(Box<RefreshTokenRow>),
}

fn inactive() -> Value {
    json!({ "active": false })
}

async fn authenticated(
    svc: &Services,
    request: &TokenRequest<'_>,
) -> Result<(std::sync::Arc<Client>, Params), OAuthError> {
    let params = Params::from_form(request.content_type, request.body)?;
    let presented = Presented::extract(request.authorization, &params)?;
    let client = client_auth::authenticate(svc, presented, request.ip).await?;
    Ok((client, params))
}

/// Recognises a live access token or a live refresh token.
async fn recognise(svc: &Services, token: &str) -> Result<Option<Known>, OAuthError> {
    if token.matches('.').count() == 2 {
        return match super::access::verify(svc, token).await {
            Ok(claims) => Ok(Some(Known::Access(claims))),
            Err(BearerError::Unavailable(e)) => Err(e),
            Err(_) => Ok(None),
        };
    }
    let hash = refresh_digest(token);
    let row = svc.db.run(move |conn| refresh_db::find(conn, &hash)).await?;
    Ok(row
        .filter(|r| r.used_at.is_none() && r.revoked_at.is_none() && r.expires_at > now())
        .map(|row| Known::Refresh(Box::new(row))))
}

/// Whether `client` may learn about an access token with these claims.
fn may_see(client: &Client, claims: &Map<String, Value>) -> bool {
    if claims.get("client_id").and_then(Value::as_str) == Some(client.id.as_str()) {
        return true;
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    audiences.iter().any(|aud| *aud == client.id.as_str() || client.audiences.iter().any(|a| a.as_str() == *aud))
}

/// `POST /introspect`.
pub async fn introspect(svc: &Services, request: TokenRequest<'_>) -> Result<Value, OAuthError> {
    let ip = request.ip;
    let (client, params) = authenticated(svc, &request).await?;
    if client.is_public() {
        return Err(OAuthError::new(ErrorCode::InvalidClient, "public clients cannot introspect tokens"));
    }
    let token = params.require("token")?;
    let answer = match recognise(svc, token).await? {
        None => inactive(),
        Some(Known::Access(claims)) if may_see(&client, &claims) => {
            let mut out = Map::new();
            out.insert("active".into(), json!(true));
            out.insert("token_type".into(), json!("Bearer"));
            for name in [
                "scope",
                "client_id",
                "sub",
                "aud",
                "iss",
                "exp",
                "iat",
                "jti",
                "auth_time",
                "acr",
                "amr",
                "sid",
                "act",
                "poa",
            ] {
                if let Some(value) = claims.get(name) {
                    out.insert(name.into(), value.clone());
                }
            }
            Value::Object(out)
        }
        Some(Known::Refresh(row)) if row.client_id == client.id.as_str() => json!({
            "active": true,
            "token_type": "refresh_token",
            "scope": row.scopes,
            "client_id": row.client_id,
            "sub": subject::for_client(svc, &client, &row.user_id),
            "iss": svc.config.issuer.as_str(),
            "iat": row.created_at,
            "exp": row.expires_at,
        }),
        Some(_) => {
            denied(svc, &client, ip, AuditKind::IntrospectionDenied).await;
            inactive()
        }
    };
    Ok(answer)
}

/// `POST /revoke`: an unknown or foreign token still answers 200 (RFC 7009 §2.2).
pub async fn revoke(svc: &Services, request: TokenRequest<'_>) -> Result<(), OAuthError> {
    let ip = request.ip;
    let (client, params) = authenticated(svc, &request).await?;
    let token = params.require("token")?;
    if let Some(hint) = params.get("token_type_hint")
        && hint != "access_token"
        && hint != "refresh_token"
    {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedTokenType,
            format!("token_type_hint `{hint}` is not supported"),
        ));
    }
    match recognise(svc, token).await? {
        Some(Known::Access(claims)) if claims.get("client_id").and_then(Value::as_str) == Some(client.id.as_str()) => {
            let jti = claims.get("jti").and_then(Value::as_str).unwrap_or_default();
            let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or_else(now);
            revoke_access_token(svc, jti, exp).await?;
            svc.audit
                .record(
                    AuditEvent::success(AuditKind::TokenRevoked)
                        .client(client.id.as_str())
                        .ip(ip)
                        .detail(json!({ "token_type": "access_token", "jti": jti })),
                )
                .await;
        }
        Some(Known::Refresh(row)) if row.client_id == client.id.as_str() => {
            let family = row.family_id.clone();
            let revoked = svc.db.run(move |conn| refresh_db::revoke_family(conn, &family, now())).await?;
            svc.audit
                .record(
                    AuditEvent::success(AuditKind::TokenRevoked)
                        .client(client.id.as_str())
                        .subject(row.user_id.clone())
                        .ip(ip)
                        .detail(json!({ "token_type": "refresh_token", "family": row.family_id, "revoked": revoked })),
                )
                .await;
        }
        Some(_) => denied(svc, &client, ip, AuditKind::RevocationDenied).await,
        None => {}
    }
    Ok(())
}

async fn denied(svc: &Services, client: &Client, ip: Option<IpAddr>, kind: AuditKind) {
    svc.audit
        .record(
            AuditEvent::failure(kind)
                .client(client.id.as_str())
                .ip(ip)
                .detail(json!({ "reason": "token of another client" })),
        )
        .await;
}
