//! Yandex ID and VK ID: OAuth 2.0 code flows built with the `oauth2` crate, and each
//! provider's own user-data endpoint.
//!
//! - Yandex: PKCE, the token endpoint with HTTP Basic client authentication, then
//!   `GET login.yandex.ru/info?format=json` with `Authorization: OAuth <token>`.
//! - VK ID: OAuth 2.1 with mandatory PKCE; the callback carries `device_id`, which must
//!   be sent back with the code; errors often come as HTTP 200 with an `error` member;
//!   user data from `POST /oauth2/user_info` with the token in the body.
//!
//! Neither gives a verified identity: accounts they create are simplified, and their
//! e-mail addresses never link accounts.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, TokenResponse, TokenUrl,
};
use secrecy::ExposeSecret;
use serde_json::Value;

use super::oidc::text;
use super::{Callback, FederationError, Pending, Provider};
use crate::accounts::federated::UpstreamIdentity;
use crate::config::{ProviderConfig, ProviderKind};
use crate::domain::{Date, Phone, birth_date};

fn invalid(e: impl std::fmt::Display) -> FederationError {
    FederationError::Invalid(e.to_string())
}

fn endpoints(config: &ProviderConfig) -> Result<&crate::config::Endpoints, FederationError> {
    config.endpoints.as_ref().ok_or_else(|| invalid("no endpoints"))
}

/// The authorization URL (PKCE S256 for both; scopes space-separated).
pub fn authorize_url(
    config: &ProviderConfig,
    redirect: &str,
    state: &str,
    pending: &Pending,
) -> Result<String, FederationError> {
    let ends = endpoints(config)?;
    let client = BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_auth_uri(AuthUrl::new(ends.authorization.to_string()).map_err(invalid)?)
        .set_redirect_uri(RedirectUrl::new(redirect.to_owned()).map_err(invalid)?);
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(pending.verifier.clone()));
    let state = state.to_owned();
    let mut request = client.authorize_url(move || CsrfToken::new(state));
    for scope in &config.scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    if config.kind == ProviderKind::Yandex {
        request = request.add_extra_param("force_confirm", "no");
    }
    let (url, _) = request.set_pkce_challenge(challenge).url();
    Ok(url.to_string())
}

/// Yandex: code → token → `login.yandex.ru/info`.
pub async fn yandex(
    provider: &Provider,
    redirect: &str,
    code: &str,
    pending: &Pending,
) -> Result<UpstreamIdentity, FederationError> {
    let config = &provider.config;
    let ends = endpoints(config)?;
    let mut client = BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_token_uri(TokenUrl::new(ends.token.to_string()).map_err(invalid)?)
        .set_redirect_uri(RedirectUrl::new(redirect.to_owned()).map_err(invalid)?);
    if let Some(secret) = &config.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()));
    }
    let http = provider.outbound.with_headers(config.token_headers.clone());
    let token = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| match e {
            oauth2::RequestTokenError::ServerResponse(r) => FederationError::Upstream(r.error().to_string()),
            oauth2::RequestTokenError::Request(outbound) => FederationError::Outbound(outbound),
            other => invalid(other),
        })?;
    let info_url = ends.userinfo.clone().ok_or_else(|| invalid("no info endpoint"))?;
    let request = provider
        .outbound
        .client()
        .get(info_url)
        .header(reqwest::header::AUTHORIZATION, format!("OAuth {}", token.access_token().secret()));
    let response = provider.outbound.send(request).await?;
    if !response.status().is_success() {
        return Err(FederationError::Upstream(format!("info answered {}", response.status())));
    }
    let info: Value = response.json().await.map_err(invalid)?;
    let info = info.as_object().ok_or_else(|| invalid("info is not a JSON object"))?;
    let subject = text(info, "id").ok_or_else(|| invalid("no id"))?;
    let phone = info
        .get("default_phone")
        .and_then(Value::as_object)
        .and_then(|p| text(p, "number"))
        .and_then(|n| Phone::parse(&n).ok());
    Ok(UpstreamIdentity {
        subject,
        given_name: text(info, "first_name"),
        family_name: text(info, "last_name"),
        // Unknown parts of a Yandex birthday are zeros: such dates are dropped.
        birthdate: text(info, "birthday").and_then(|b| birth_date(&b, Date::today()).ok()).map(|d| d.to_string()),
        gender: text(info, "sex").filter(|s| s == "male" || s == "female"),
        phone_verified: phone.is_some(),
        phone,
        email: text(info, "default_email"),
        ..UpstreamIdentity::default()
    })
}

/// VK ID: code + `device_id` + verifier → token (errors may come with HTTP 200) →
/// `POST /oauth2/user_info`.
pub async fn vk(
    provider: &Provider,
    redirect: &str,
    code: &str,
    callback: &Callback,
    state: &str,
    pending: &Pending,
) -> Result<UpstreamIdentity, FederationError> {
    let config = &provider.config;
    let ends = endpoints(config)?;
    let device_id = callback.device_id.as_deref().filter(|d| !d.is_empty()).ok_or_else(|| invalid("no device_id"))?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", pending.verifier.as_str()),
        ("client_id", config.client_id.as_str()),
        ("device_id", device_id),
        ("redirect_uri", redirect),
        ("state", state),
    ];
    let response = provider.outbound.send(provider.outbound.client().post(ends.token.clone()).form(&form)).await?;
    let status = response.status();
    let body: Value = response.json().await.map_err(invalid)?;
    if let Some(error) = body.get("error").and_then(Value::as_str) {
        let text = body.get("error_description").and_then(Value::as_str).unwrap_or_default();
        return Err(FederationError::Upstream(format!("{error} {text}").trim().to_owned()));
    }
    if !status.is_success() {
        return Err(FederationError::Upstream(format!("token endpoint answered {status}")));
    }
    let access = body.get("access_token").and_then(Value::as_str).ok_or_else(|| invalid("no access_token"))?;
    let mut info_url = ends.userinfo.clone().ok_or_else(|| invalid("no user_info endpoint"))?;
    info_url.query_pairs_mut().append_pair("client_id", &config.client_id);
    let request = provider.outbound.client().post(info_url).form(&[("access_token", access)]);
    let response = provider.outbound.send(request).await?;
    let body: Value = response.json().await.map_err(invalid)?;
    if let Some(error) = body.get("error").and_then(Value::as_str) {
        return Err(FederationError::Upstream(error.to_owned()));
    }
    let user = body.get("user").and_then(Value::as_object).ok_or_else(|| invalid("no user"))?;
    let subject = text(user, "user_id").ok_or_else(|| invalid("no user_id"))?;
    let phone = text(user, "phone").and_then(|p| Phone::parse(&p).ok());
    Ok(UpstreamIdentity {
        subject,
        given_name: text(user, "first_name"),
        family_name: text(user, "last_name"),
        birthdate: text(user, "birthday").and_then(|b| birth_date(&b, Date::today()).ok()).map(|d| d.to_string()),
        gender: match user.get("sex").and_then(Value::as_u64) {
            Some(1) => Some("female".into()),
            Some(2) => Some("male".into()),
            _ => None,
        },
        phone_verified: phone.is_some(),
        phone,
        email: text(user, "email"),
        ..UpstreamIdentity::default()
    })
}
