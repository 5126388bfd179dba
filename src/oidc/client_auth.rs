//! Client authentication at the token endpoint: `client_secret_basic` (RFC 6749 §2.3.1)
//! and `client_secret_post`, each accepted only from clients registered for it, with a
//! lockout per client and remote address after repeated failures.

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::json;

use super::assertion;
use super::params::Params;
use super::{ErrorCode, OAuthError};
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::credentials::verify_client_secret;
use crate::domain::{AuthMethod, Client, ClientId};
use crate::state::EphemeralStore;

/// Credentials as presented, before they are checked.
pub struct Presented {
    method: AuthMethod,
    client_id: String,
    secret: String,
    assertion: Option<String>,
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presented").field("method", &self.method).field("client_id", &self.client_id).finish()
    }
}

fn failed() -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, "client authentication failed")
}

impl Presented {
    /// Reads credentials from the `Authorization` header or the body; using both, or
    /// neither, is an error.
    pub fn extract(authorization: Option<&str>, params: &Params) -> Result<Self, OAuthError> {
        let body_secret = params.get("client_secret");
        if let Some(assertion_type) = params.get("client_assertion_type") {
            if authorization.is_some() || body_secret.is_some() {
                return Err(OAuthError::invalid_request("use only one client authentication method"));
            }
            if assertion_type != assertion::JWT_BEARER {
                return Err(OAuthError::new(ErrorCode::InvalidClient, "unsupported client_assertion_type"));
            }
            let assertion = params.require("client_assertion")?;
            let claimed = assertion::claimed_client(assertion).ok_or_else(failed)?;
            if params.get("client_id").is_some_and(|id| id != claimed) {
                return Err(OAuthError::invalid_request("client_id differs from the assertion's subject"));
            }
            return Ok(Self {
                method: AuthMethod::PrivateKeyJwt,
                client_id: claimed,
                secret: String::new(),
                assertion: Some(assertion.to_owned()),
            });
        }
        let Some(header) = authorization else {
            let Some(secret) = body_secret else {
                // A public client identifies itself without a secret (RFC 6749 §2.3, PKCE).
                let Some(client_id) = params.get("client_id") else {
                    return Err(OAuthError::new(ErrorCode::InvalidClient, "client authentication is required"));
                };
                return Ok(Self {
                    method: AuthMethod::None,
                    client_id: client_id.into(),
                    secret: String::new(),
                    assertion: None,
                });
            };
            let client_id = params.require("client_id")?;
            return Ok(Self {
                method: AuthMethod::ClientSecretPost,
                client_id: client_id.into(),
                secret: secret.into(),
                assertion: None,
            });
        };
        if body_secret.is_some() {
            return Err(OAuthError::invalid_request("use only one client authentication method"));
        }
        let (scheme, value) = header.trim().split_once(' ').ok_or_else(failed)?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(OAuthError::new(
                ErrorCode::InvalidClient,
                "only HTTP Basic client authentication is supported",
            ));
        }
        let decoded = base64::engine::general_purpose::STANDARD.decode(value.trim()).map_err(|_| failed())?;
        let decoded = String::from_utf8(decoded).map_err(|_| failed())?;
        let (id, secret) = decoded.split_once(':').ok_or_else(failed)?;
        // RFC 6749 §2.3.1: both parts are form-urlencoded before Base64.
        let unescape = |s: &str| -> Result<String, OAuthError> {
            let plus_as_space = s.replace('+', " ");
            url::form_urlencoded::parse(format!("v={plus_as_space}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .ok_or_else(failed)
        };
        let (client_id, secret) = (unescape(id)?, unescape(secret)?);
        if params.get("client_id").is_some_and(|body_id| body_id != client_id) {
            return Err(OAuthError::invalid_request("client_id in the body differs from the authenticated client"));
        }
        Ok(Self { method: AuthMethod::ClientSecretBasic, client_id, secret, assertion: None })
    }
}

/// Checks presented credentials; returns the authenticated client.
pub async fn authenticate(svc: &Services, presented: Presented, ip: Option<IpAddr>) -> Result<Arc<Client>, OAuthError> {
    let Ok(client_id) = ClientId::parse(&presented.client_id) else {
        return Err(failed());
    };
    let lock_key = format!("clientauth:{}:{}", client_id, ip.map_or_else(|| "-".to_owned(), |ip| ip.to_string()));
    let failures = svc.state.count(&lock_key).await?;
    if failures >= svc.config.client_auth_max_failures {
        svc.audit.record(AuditEvent::failure(AuditKind::ClientAuthLocked).client(client_id.as_str()).ip(ip)).await;
        return Err(OAuthError::new(
            ErrorCode::TooManyAttempts,
            "too many failed authentication attempts; try again later",
        ));
    }
    let client = svc.clients.get(&client_id).await?;
    let reason = match &client {
        None => Some("unknown client"),
        Some(c) if c.auth_method != presented.method => Some("authentication method not registered for this client"),
        Some(c) if c.is_public() => None,
        Some(c) if c.auth_method == AuthMethod::PrivateKeyJwt => {
            match assertion::verify(svc, c, presented.assertion.as_deref().unwrap_or_default()).await {
                Ok(()) => None,
                Err(refused) => Some(refused.0),
            }
        }
        Some(c) if c.secret_hash.as_deref().is_some_and(|h| verify_client_secret(&presented.secret, h)) => None,
        Some(_) => Some("wrong secret"),
    };
    match (reason, client) {
        (None, Some(client)) => {
            if failures > 0 {
                svc.state.delete(&lock_key).await?;
            }
            Ok(client)
        }
        (reason, _) => {
            svc.state.incr(&lock_key, svc.config.client_auth_lockout).await?;
            svc.audit
                .record(
                    AuditEvent::failure(AuditKind::ClientAuthFailed)
                        .client(client_id.as_str())
                        .ip(ip)
                        .detail(json!({ "reason": reason, "method": presented.method.as_str() })),
                )
                .await;
            Err(failed())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let p = Presented::extract(Some(&basic("my%3Aclient:s%2Bc+ret")), &Params::default()).unwrap();
        assert_eq!(p.client_id, "my:client");
        assert_eq!(p.secret, "s+c ret");
        assert_eq!(p.method, AuthMethod::ClientSecretBasic);
    }

    #[test]
    fn two_methods_or_garbage_are_refused() {
        let body = Params::parse(b"client_id=a&client_secret=b").unwrap();
        assert_eq!(Presented::extract(Some(&basic("a:b")), &body).unwrap_err().code, ErrorCode::InvalidRequest);
        for header in ["Basic !!!", "Bearer abc", "Basic", &basic("no-colon")] {
            let err = Presented::extract(Some(header), &Params::default()).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidClient, "{header}");
        }
        let p = Presented::extract(None, &body).unwrap();
        assert_eq!(p.method, AuthMethod::ClientSecretPost);
        let err = Presented::extract(None, &Params::default()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
    }
}
