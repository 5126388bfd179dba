//! The OAuth 2.0 / OpenID Connect protocol core. No actix types: functions take parsed
//! requests and [`Services`](crate::app::Services) and return protocol results or an
//! [`OAuthError`], which the HTTP edge turns into RFC 6749 §5.2 responses.

pub mod access;
pub mod acr;
pub mod assertion;
pub mod authorize;
pub mod claims;
pub mod client_auth;
pub mod code_grant;
pub mod device;
pub mod exchange;
pub mod flow;
pub mod introspect;
pub mod issue;
pub mod logout;
pub mod metadata;
pub mod params;
pub mod subject;
pub mod token;
pub mod userinfo;

use std::borrow::Cow;

use crate::db::DbError;
use crate::keys::KeyError;
use crate::state::StateError;

/// RFC 6749 §5.2 error codes (plus RFC 8707 `invalid_target`), and the two conditions
/// that are not the client's fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Malformed, missing or duplicated parameter.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// The grant is invalid, expired or revoked.
    InvalidGrant,
    /// The client may not use this grant.
    UnauthorizedClient,
    /// Unknown grant type.
    UnsupportedGrantType,
    /// Scope unknown or not allowed.
    InvalidScope,
    /// `resource` unknown or not allowed (RFC 8707 §2).
    InvalidTarget,
    /// The resource owner or server denied the request.
    AccessDenied,
    /// `response_type` not supported.
    UnsupportedResponseType,
    /// `prompt=none` but the citizen must sign in.
    LoginRequired,
    /// `prompt=none` but the citizen must consent.
    ConsentRequired,
    /// `prompt=none` (or no method) cannot reach the requested `acr`.
    UnmetAuthenticationRequirements,
    /// Request objects are not supported.
    RequestNotSupported,
    /// `request_uri` is not supported.
    RequestUriNotSupported,
    /// RFC 7009 §2.2.1: the token type cannot be revoked.
    UnsupportedTokenType,
    /// Locked out after repeated failures (sent with 429).
    TooManyAttempts,
    /// A backing service is down (sent with 503).
    TemporarilyUnavailable,
    /// A bug or corrupt data (sent with 500).
    ServerError,
    /// RFC 8628 §3.5: the citizen has not finished yet.
    AuthorizationPending,
    /// RFC 8628 §3.5: polling too fast; the interval grew by 5 seconds.
    SlowDown,
    /// RFC 8628 §3.5: the device code expired.
    ExpiredToken,
}

impl ErrorCode {
    /// The `error` value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient | Self::TooManyAttempts => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::ServerError => "server_error",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
        }
    }
}

/// A protocol error with a description safe to show the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    /// The error code.
    pub code: ErrorCode,
    /// Human-readable explanation (ASCII, no secrets).
    pub description: Cow<'static, str>,
}

impl OAuthError {
    /// An error with a description.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self { code, description: description.into() }
    }

    /// `invalid_request`.
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }
}

impl From<DbError> for OAuthError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(_) => {
                tracing::error!(error = %e, "database unavailable");
                Self::new(ErrorCode::TemporarilyUnavailable, "the service is temporarily unavailable")
            }
            other => {
                tracing::error!(error = %other, "database error");
                Self::new(ErrorCode::ServerError, "internal error")
            }
        }
    }
}

impl From<StateError> for OAuthError {
    fn from(e: StateError) -> Self {
        tracing::error!(error = %e, "state store unavailable");
        Self::new(ErrorCode::TemporarilyUnavailable, "the service is temporarily unavailable")
    }
}

impl From<KeyError> for OAuthError {
    fn from(e: KeyError) -> Self {
        tracing::error!(error = %e, "signing failed");
        Self::new(ErrorCode::ServerError, "internal error")
    }
}
