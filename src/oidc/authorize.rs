//! Authorization requests (RFC 6749 §4.1.1, OIDC Core §3.1.2.1): parsing and checking,
//! in the order that decides where an error may be sent. The client and its redirect
//! URI are checked first; until both are trusted, errors are shown to the browser and
//! never redirected (RFC 6749 §4.1.2.1).

use serde::{Deserialize, Serialize};

use super::params::Params;
use super::{ErrorCode, OAuthError};
use crate::app::Services;
use crate::domain::{Client, ClientId, GrantType, Scopes};

/// Longest `state` and `nonce` accepted.
const MAX_OPAQUE_LEN: usize = 2048;

/// How the response travels back (OAuth 2.0 Multiple Response Types, Form Post).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    /// Query parameters on a 303 redirect.
    Query,
    /// An auto-submitting HTML form.
    FormPost,
}

/// A checked authorization request, kept in the state store while the citizen signs in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: String,
    /// Its registered redirect URI, exactly as sent.
    pub redirect_uri: String,
    /// Response mode.
    pub response_mode: ResponseMode,
    /// Requested scopes, space-separated.
    pub scope: String,
    /// Opaque client state.
    pub state: Option<String>,
    /// ID-token nonce.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// `prompt=login` (or `select_account`, or `max_age=0`).
    pub force_login: bool,
    /// `prompt=consent`.
    pub force_consent: bool,
    /// `prompt=none`.
    pub no_prompt: bool,
    /// Maximum authentication age in seconds.
    pub max_age: Option<i64>,
    /// Pre-fills the user name.
    pub login_hint: Option<String>,
    /// `sub` from a verified `id_token_hint`.
    pub hinted_subject: Option<String>,
    /// Preferred languages.
    pub ui_locales: Option<String>,
    /// Requested authentication context classes, in preference order.
    pub acr_values: Vec<String>,
    /// When the request arrived (Unix seconds).
    pub received_at: i64,
    /// The session that signed in during this request, if one did.
    #[serde(default)]
    pub signed_in_sid: Option<String>,
    /// Digest of the browser that started the request; only it may continue it.
    #[serde(default)]
    pub browser: Option<String>,
    /// A device grant (RFC 8628) this request approves, by its state key; such a
    /// request has no redirect URI and always asks the citizen.
    #[serde(default)]
    pub device: Option<String>,
}

impl AuthorizationRequest {
    /// Whether the browser with this binding started the request.
    pub fn started_by(&self, binding: &str) -> bool {
        self.browser
            .as_deref()
            .is_some_and(|b| bool::from(subtle::ConstantTimeEq::ct_eq(b.as_bytes(), binding.as_bytes())))
    }
}

impl AuthorizationRequest {
    /// The requested scopes.
    pub fn scopes(&self) -> Scopes {
        Scopes::parse(&self.scope).unwrap_or_default()
    }

    /// Whether this is an OpenID Connect request.
    pub fn is_oidc(&self) -> bool {
        self.scopes().contains("openid")
    }
}

/// Why a request failed.
#[derive(Debug)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: show a page, do not redirect.
    Untrusted(String),
    /// Send the error to the client's redirect URI.
    Redirect(Box<ErrorRedirect>),
    /// A backing service failed before the redirect URI was known to be good.
    Internal(OAuthError),
}

/// An error response to deliver to a trusted redirect URI.
#[derive(Debug, Clone)]
pub struct ErrorRedirect {
    /// Where to.
    pub redirect_uri: String,
    /// How.
    pub response_mode: ResponseMode,
    /// The error.
    pub error: OAuthError,
    /// The client's `state`.
    pub state: Option<String>,
}

impl ErrorRedirect {
    /// An error for `request`'s redirect URI.
    pub fn for_request(request: &AuthorizationRequest, error: OAuthError) -> Self {
        Self {
            redirect_uri: request.redirect_uri.clone(),
            response_mode: request.response_mode,
            error,
            state: request.state.clone(),
        }
    }
}

/// Parses and checks an authorization request from query or form parameters.
pub async fn parse(
    svc: &Services,
    raw: &[u8],
) -> Result<(AuthorizationRequest, std::sync::Arc<Client>), AuthorizeError> {
    // Duplicates of client_id or redirect_uri make the request untrustworthy; others
    // are reported to the (then trusted) redirect URI.
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw).into_owned().collect();
    let single = |name: &str| -> Result<Option<&str>, AuthorizeError> {
        let mut values = pairs.iter().filter(|(k, v)| k == name && !v.is_empty());
        let first = values.next().map(|(_, v)| v.as_str());
        if values.next().is_some() {
            return Err(AuthorizeError::Untrusted(format!("the parameter {name} appears more than once")));
        }
        Ok(first)
    };
    let client_id = single("client_id")?.ok_or_else(|| AuthorizeError::Untrusted("client_id is missing".into()))?;
    let client_id =
        ClientId::parse(client_id).map_err(|_| AuthorizeError::Untrusted("the client_id is not valid".into()))?;
    let client = svc
        .clients
        .get(&client_id)
        .await
        .map_err(|e| AuthorizeError::Internal(e.into()))?
        .ok_or_else(|| AuthorizeError::Untrusted("this application is not registered".into()))?;
    let redirect_uri =
        single("redirect_uri")?.ok_or_else(|| AuthorizeError::Untrusted("redirect_uri is missing".into()))?;
    if !client.has_redirect_uri(redirect_uri) {
        return Err(AuthorizeError::Untrusted("the redirect_uri is not registered for this application".into()));
    }
    let redirect_uri = redirect_uri.to_owned();

    // From here on, errors go back to the redirect URI.
    let params = Params::parse(raw);
    let state = pairs.iter().find(|(k, v)| k == "state" && !v.is_empty()).map(|(_, v)| v.clone());
    let response_mode = match pairs.iter().find(|(k, _)| k == "response_mode").map(|(_, v)| v.as_str()) {
        None | Some("") | Some("query") => ResponseMode::Query,
        Some("form_post") => ResponseMode::FormPost,
        Some(_) => ResponseMode::Query,
    };
    let fail = |error: OAuthError| {
        AuthorizeError::Redirect(Box::new(ErrorRedirect {
            redirect_uri: redirect_uri.clone(),
            response_mode,
            error,
            state: state.clone(),
        }))
    };
    let params = params.map_err(fail)?;
    if let Some(mode) = params.get("response_mode")
        && mode != "query"
        && mode != "form_post"
    {
        return Err(fail(OAuthError::invalid_request(format!("response_mode `{mode}` is not supported"))));
    }
    if params.get("request").is_some() {
        return Err(fail(OAuthError::new(ErrorCode::RequestNotSupported, "request objects are not supported")));
    }
    if params.get("request_uri").is_some() {
        return Err(fail(OAuthError::new(ErrorCode::RequestUriNotSupported, "request_uri is not supported")));
    }
    match params.get("response_type") {
        None => return Err(fail(OAuthError::invalid_request("response_type is missing"))),
        Some("code") => {}
        Some(other) => {
            return Err(fail(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                format!("response_type `{other}` is not supported; use code"),
            )));
        }
    }
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(fail(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the authorization code flow",
        )));
    }
    let scopes = Scopes::parse(params.get("scope").unwrap_or(""))
        .map_err(|e| fail(OAuthError::new(ErrorCode::InvalidScope, e.to_string())))?;
    if scopes.is_empty() {
        return Err(fail(OAuthError::new(ErrorCode::InvalidScope, "scope is missing")));
    }
    if scopes.contains(crate::admin::ADMIN_SCOPE) {
        return Err(fail(OAuthError::new(ErrorCode::InvalidScope, "the admin scope is for admin clients only")));
    }
    if let Some(extra) = scopes.not_in(&client.scopes).next() {
        return Err(fail(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("scope `{}` is not allowed for this client", extra.as_str()),
        )));
    }
    let code_challenge = match (params.get("code_challenge"), params.get("code_challenge_method")) {
        (None, None) if client.is_public() => {
            return Err(fail(OAuthError::invalid_request("public clients must use PKCE (code_challenge with S256)")));
        }
        (None, None) => None,
        (None, Some(_)) => return Err(fail(OAuthError::invalid_request("code_challenge is missing"))),
        (Some(_), None | Some("plain")) => {
            return Err(fail(OAuthError::invalid_request("code_challenge_method must be S256; plain is refused")));
        }
        (Some(_), Some(method)) if method != "S256" => {
            return Err(fail(OAuthError::invalid_request(format!(
                "code_challenge_method `{method}` is not supported"
            ))));
        }
        (Some(challenge), Some(_)) => {
            let valid =
                challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid {
                return Err(fail(OAuthError::invalid_request(
                    "code_challenge must be a base64url SHA-256 (43 characters)",
                )));
            }
            Some(challenge.to_owned())
        }
    };
    let nonce = params.get("nonce").map(str::to_owned);
    if nonce.as_ref().is_some_and(|n| n.len() > MAX_OPAQUE_LEN)
        || state.as_ref().is_some_and(|s| s.len() > MAX_OPAQUE_LEN)
    {
        return Err(fail(OAuthError::invalid_request("state or nonce is too long")));
    }
    let prompts: Vec<&str> =
        params.get("prompt").map(|p| p.split(' ').filter(|s| !s.is_empty()).collect()).unwrap_or_default();
    for prompt in &prompts {
        if !matches!(*prompt, "none" | "login" | "consent" | "select_account") {
            return Err(fail(OAuthError::invalid_request(format!("prompt `{prompt}` is not supported"))));
        }
    }
    let no_prompt = prompts.contains(&"none");
    if no_prompt && prompts.len() > 1 {
        return Err(fail(OAuthError::invalid_request("prompt=none cannot be combined with other values")));
    }
    let max_age = match params.get("max_age") {
        None => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| fail(OAuthError::invalid_request("max_age must be a non-negative integer")))?,
        ),
    };
    let hinted_subject = match params.get("id_token_hint") {
        None => None,
        Some(hint) => Some(hint_subject(svc, hint, &client).ok_or_else(|| {
            fail(OAuthError::invalid_request("id_token_hint is not an ID token this provider issued to this client"))
        })?),
    };
    let login_hint = params.get("login_hint").map(|h| h.chars().take(256).collect());
    let request = AuthorizationRequest {
        client_id: client.id.to_string(),
        redirect_uri: redirect_uri.clone(),
        response_mode,
        scope: scopes.to_string(),
        state: state.clone(),
        nonce,
        code_challenge,
        force_login: prompts.contains(&"login") || prompts.contains(&"select_account") || max_age == Some(0),
        force_consent: prompts.contains(&"consent"),
        no_prompt,
        max_age,
        login_hint,
        hinted_subject,
        ui_locales: params.get("ui_locales").map(|l| l.chars().take(64).collect()),
        acr_values: params
            .get("acr_values")
            .map(|a| a.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default(),
        received_at: crate::db::now(),
        signed_in_sid: None,
        browser: None,
        device: None,
    };
    Ok((request, client))
}

/// The `sub` of an ID token we issued to `client` (expiry is not checked: OIDC Core
/// §3.1.2.1 lets an expired ID token serve as a hint).
fn hint_subject(svc: &Services, hint: &str, client: &Client) -> Option<String> {
    let verified = svc.keys.current().verify(hint).ok()?;
    let claims = verified.claims;
    if claims.get("iss")?.as_str()? != svc.config.issuer.as_str() {
        return None;
    }
    let audience_matches = match claims.get("aud")? {
        serde_json::Value::String(aud) => aud == client.id.as_str(),
        serde_json::Value::Array(list) => list.iter().any(|a| a.as_str() == Some(client.id.as_str())),
        _ => false,
    };
    if !audience_matches {
        return None;
    }
    claims.get("sub")?.as_str().map(str::to_owned)
}
