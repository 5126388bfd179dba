//! The token endpoint (RFC 6749 §3.2): request parsing, grant dispatch and RFC 9068 JWT
//! access tokens.

use std::net::IpAddr;

use serde::Serialize;
use serde_json::json;

use super::client_auth::{self, Presented};
use super::issue::{AccessTokenClaims, AudienceClaim};
use super::params::Params;
use super::{ErrorCode, OAuthError};
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::now;
use crate::domain::{Audience, Client, GrantType, Scopes};

/// Scopes that only make sense with a signed-in person.
const USER_SCOPES: &[&str] = &["openid", "profile", "email", "phone", "address", "offline_access"];

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    /// The JWT access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until expiry.
    pub expires_in: u64,
    /// Granted scopes when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// OIDC ID token (code and refresh grants with `openid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Rotating refresh token (with `offline_access`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// RFC 8693 §2.2.1: what a token exchange issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
}

/// The raw request as the HTTP edge received it.
pub struct TokenRequest<'a> {
    /// `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// `Authorization` header.
    pub authorization: Option<&'a str>,
    /// Form body.
    pub body: &'a [u8],
    /// Remote address.
    pub ip: Option<IpAddr>,
}

/// Handles a token request end to end.
pub async fn exchange(svc: &Services, request: TokenRequest<'_>) -> Result<TokenResponse, OAuthError> {
    let params = Params::from_form(request.content_type, request.body)?;
    let presented = Presented::extract(request.authorization, &params)?;
    let client = client_auth::authenticate(svc, presented, request.ip).await?;
    let grant_type = params.require("grant_type")?;
    let Ok(grant) = grant_type.parse::<GrantType>() else {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!("grant type `{grant_type}` is not supported"),
        ));
    };
    if !client.allows_grant(grant) {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "this client may not use this grant type"));
    }
    match grant {
        GrantType::ClientCredentials => client_credentials(svc, &client, &params, request.ip).await,
        GrantType::AuthorizationCode => super::code_grant::exchange(svc, &client, &params, request.ip).await,
        GrantType::RefreshToken => super::code_grant::refresh(svc, &client, &params, request.ip).await,
        GrantType::DeviceCode => super::device::poll(svc, &client, &params, request.ip).await,
        GrantType::TokenExchange => super::exchange::exchange(svc, &client, &params, request.ip).await,
    }
}

/// RFC 6749 §4.4: a token for the client itself.
async fn client_credentials(
    svc: &Services,
    client: &Client,
    params: &Params,
    ip: Option<IpAddr>,
) -> Result<TokenResponse, OAuthError> {
    let scopes = granted_scopes(client, params.get("scope"))?;
    let audiences = audiences(client, params.all("resource"))?;
    let scope = (!scopes.is_empty()).then(|| scopes.to_string());
    let iat = now();
    let ttl = svc.config.access_token_ttl.as_secs();
    let aud: Vec<&str> = audiences.iter().map(Audience::as_str).collect();
    let jti = crate::jose::random_token(16);
    let claims = AccessTokenClaims {
        iss: svc.config.issuer.as_str(),
        sub: client.id.as_str(),
        aud: AudienceClaim::of(&audiences),
        client_id: client.id.as_str(),
        iat,
        exp: iat + ttl as i64,
        jti: &jti,
        scope: scope.as_deref(),
        act: None,
        poa: None,
        user: None,
    };
    let keys = svc.keys.current();
    let access_token = keys.active().sign("at+jwt", &claims).map_err(super::issue::sign_error)?;
    svc.audit
        .record(
            AuditEvent::success(AuditKind::TokenIssued)
                .client(client.id.as_str())
                .subject(client.id.as_str())
                .ip(ip)
                .detail(json!({ "grant_type": "client_credentials", "jti": claims.jti, "scope": scope, "aud": aud,
                                "kid": keys.active().kid() })),
        )
        .await;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ttl,
        scope,
        id_token: None,
        refresh_token: None,
        issued_token_type: None,
    })
}

/// RFC 6749 §3.3: the requested scopes, all of them allowed, or the client's default.
fn granted_scopes(client: &Client, requested: Option<&str>) -> Result<Scopes, OAuthError> {
    let Some(raw) = requested else {
        let default = client
            .scopes
            .iter()
            .map(|s| s.as_str())
            .filter(|s| !USER_SCOPES.contains(s) && (client.admin || *s != crate::admin::ADMIN_SCOPE));
        return Ok(Scopes::from_tokens(default).expect("stored scopes are valid"));
    };
    let scopes = Scopes::parse(raw).map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?;
    if let Some(user_scope) = scopes.iter().find(|s| USER_SCOPES.contains(&s.as_str())) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("scope `{}` needs a signed-in user and cannot be granted to a client alone", user_scope.as_str()),
        ));
    }
    if scopes.contains(crate::admin::ADMIN_SCOPE) && !client.admin {
        return Err(OAuthError::new(ErrorCode::InvalidScope, "only admin clients may have the admin scope"));
    }
    if let Some(extra) = scopes.not_in(&client.scopes).next() {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("scope `{}` is not allowed for this client", extra.as_str()),
        ));
    }
    Ok(scopes)
}

/// RFC 8707: the `resource` values, each one allowed for the client; without any, the
/// client's configured audiences, or the client itself when it has none.
fn audiences(client: &Client, resources: &[String]) -> Result<Vec<Audience>, OAuthError> {
    if resources.is_empty() {
        return Ok(client.default_audiences());
    }
    let mut out: Vec<Audience> = Vec::new();
    for raw in resources {
        let audience =
            Audience::parse_resource(raw).map_err(|e| OAuthError::new(ErrorCode::InvalidTarget, e.to_string()))?;
        if !client.audiences.contains(&audience) {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                format!("resource `{raw}` is not an audience of this client"),
            ));
        }
        if !out.contains(&audience) {
            out.push(audience);
        }
    }
    Ok(out)
}
