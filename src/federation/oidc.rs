//! The generic OpenID Connect adapter (and the bank presets): discovery or explicit
//! endpoints, the code flow with PKCE and nonce, ID-token validation by the
//! `openidconnect` crate (signature, `iss`, `aud`, `exp`, `nonce`), then userinfo with
//! the provider's quirks (extra headers, client credentials in the body).

use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EmptyAdditionalProviderMetadata, IssuerUrl,
    JsonWebKeySetUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, ResponseTypes,
    Scope, TokenResponse, TokenUrl, UserInfoUrl,
};
use secrecy::ExposeSecret;
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::{FederationError, Pending, Provider};
use crate::accounts::IdDocument;
use crate::accounts::federated::UpstreamIdentity;
use crate::domain::{Date, Gender, Inn, Passport, Phone, Snils};

/// How long discovered metadata (and its JWKS) is reused.
const METADATA_TTL: Duration = Duration::from_secs(15 * 60);

/// Cached provider metadata.
#[derive(Default)]
pub struct Metadata(Mutex<Option<(Instant, CoreProviderMetadata)>>);

fn invalid(e: impl std::fmt::Display) -> FederationError {
    FederationError::Invalid(e.to_string())
}

async fn metadata(provider: &Provider) -> Result<CoreProviderMetadata, FederationError> {
    let mut cached = provider.oidc.0.lock().await;
    if let Some((at, meta)) = cached.as_ref()
        && at.elapsed() < METADATA_TTL
    {
        return Ok(meta.clone());
    }
    let config = &provider.config;
    let issuer = config.issuer.as_ref().ok_or_else(|| invalid("no issuer"))?;
    let http = provider.outbound.with_headers(Vec::new());
    let meta = match &config.endpoints {
        None => CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone()).map_err(invalid)?, &http)
            .await
            .map_err(discovery_error)?,
        Some(endpoints) => {
            let jwks_url = endpoints.jwks.as_ref().ok_or_else(|| invalid("no jwks_uri"))?;
            let jwks_url = JsonWebKeySetUrl::new(jwks_url.to_string()).map_err(invalid)?;
            let jwks = CoreJsonWebKeySet::fetch_async(&jwks_url, &http).await.map_err(discovery_error)?;
            let mut meta = CoreProviderMetadata::new(
                IssuerUrl::new(issuer.clone()).map_err(invalid)?,
                AuthUrl::new(endpoints.authorization.to_string()).map_err(invalid)?,
                jwks_url,
                vec![ResponseTypes::new(vec![CoreResponseType::Code])],
                vec![CoreSubjectIdentifierType::Public],
                vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
                EmptyAdditionalProviderMetadata {},
            )
            .set_token_endpoint(Some(TokenUrl::new(endpoints.token.to_string()).map_err(invalid)?))
            .set_jwks(jwks);
            if let Some(userinfo) = &endpoints.userinfo {
                meta = meta.set_userinfo_endpoint(Some(UserInfoUrl::new(userinfo.to_string()).map_err(invalid)?));
            }
            meta
        }
    };
    *cached = Some((Instant::now(), meta.clone()));
    Ok(meta)
}

/// Maps a discovery or JWKS failure, keeping network causes (timeouts, SSRF refusals).
fn discovery_error<E: std::error::Error + 'static>(e: E) -> FederationError {
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(err) = source {
        if let Some(outbound) = err.downcast_ref::<super::OutboundError>() {
            return FederationError::Outbound(match outbound {
                super::OutboundError::Timeout => super::OutboundError::Timeout,
                super::OutboundError::Refused(a) => super::OutboundError::Refused(a.clone()),
                super::OutboundError::Unreachable(m) => super::OutboundError::Unreachable(m.clone()),
            });
        }
        source = err.source();
    }
    invalid(e)
}

fn client(
    provider: &Provider,
    meta: CoreProviderMetadata,
    redirect: &str,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    FederationError,
> {
    let config = &provider.config;
    let secret = config.client_secret.as_ref().map(|s| ClientSecret::new(s.expose_secret().to_owned()));
    Ok(CoreClient::from_provider_metadata(meta, ClientId::new(config.client_id.clone()), secret)
        .set_redirect_uri(RedirectUrl::new(redirect.to_owned()).map_err(invalid)?))
}

/// The authorization URL (code flow, PKCE S256, nonce).
pub async fn authorize_url(
    provider: &Provider,
    redirect: &str,
    state: &str,
    pending: &Pending,
) -> Result<String, FederationError> {
    let meta = metadata(provider).await?;
    let client = client(provider, meta, redirect)?;
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(pending.verifier.clone()));
    let (state, nonce) = (state.to_owned(), pending.nonce.clone());
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        move || CsrfToken::new(state),
        move || Nonce::new(nonce),
    );
    for scope in provider.config.scopes.iter().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, _, _) = request.set_pkce_challenge(challenge).url();
    Ok(url.to_string())
}

/// Exchanges the code, validates the ID token, reads userinfo.
pub async fn finish(
    provider: &Provider,
    redirect: &str,
    code: &str,
    pending: &Pending,
) -> Result<UpstreamIdentity, FederationError> {
    let meta = metadata(provider).await?;
    let userinfo_url = meta.userinfo_endpoint().map(|u| u.url().clone());
    let client = client(provider, meta, redirect)?;
    let http = provider.outbound.with_headers(provider.config.token_headers.clone());
    let token = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(invalid)?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| match e {
            openidconnect::RequestTokenError::ServerResponse(r) => FederationError::Upstream(r.error().to_string()),
            other => discovery_error(other),
        })?;
    let id_token = token.id_token().ok_or_else(|| invalid("no ID token"))?;
    let claims = id_token.claims(&client.id_token_verifier(), &Nonce::new(pending.nonce.clone())).map_err(invalid)?;
    let subject = claims.subject().to_string();
    let mut merged: Map<String, Value> =
        serde_json::to_value(claims).ok().and_then(|v| v.as_object().cloned()).unwrap_or_default();
    if let Some(url) = userinfo_url {
        let info = userinfo(provider, &url, token.access_token().secret()).await?;
        if info.get("sub").and_then(Value::as_str).is_some_and(|s| s != subject) {
            return Err(invalid("userinfo is about another subject"));
        }
        merged.extend(info);
    }
    let amr = claims.auth_method_refs().map(|v| v.iter().map(|m| m.to_string()).collect()).unwrap_or_default();
    Ok(identity(subject, &merged, amr, provider.config.confirms))
}

async fn userinfo(
    provider: &Provider,
    url: &url::Url,
    access_token: &str,
) -> Result<Map<String, Value>, FederationError> {
    let config = &provider.config;
    let http = provider.outbound.client();
    let mut request = if config.userinfo_client_credentials {
        let secret = config.client_secret.as_ref().map(|s| s.expose_secret().to_owned()).unwrap_or_default();
        http.post(url.clone()).form(&[("client_id", config.client_id.as_str()), ("client_secret", secret.as_str())])
    } else {
        http.get(url.clone())
    };
    request = request.bearer_auth(access_token).header(reqwest::header::ACCEPT, "application/json");
    for (name, template) in &config.userinfo_headers {
        request = request.header(name.as_str(), super::outbound::header_value(template));
    }
    let response = provider.outbound.send(request).await?;
    if !response.status().is_success() {
        return Err(FederationError::Upstream(format!("userinfo answered {}", response.status())));
    }
    let body: Value = response.json().await.map_err(invalid)?;
    body.as_object().cloned().ok_or_else(|| invalid("userinfo is not a JSON object"))
}

/// A non-empty string (or a number, as some providers send ids) member, trimmed.
pub(super) fn text(claims: &Map<String, Value>, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Maps OIDC claims (standard names, Vhod's own `snils`/`inn`/`id_document`, Sber's
/// `identification`) to an identity; values that fail validation are dropped.
pub fn identity(subject: String, claims: &Map<String, Value>, amr: Vec<String>, verified: bool) -> UpstreamIdentity {
    let today = Date::today();
    let phone = text(claims, "phone_number").and_then(|p| Phone::parse(&p).ok());
    let phone_verified = claims.get("phone_number_verified").and_then(Value::as_bool).unwrap_or(verified);
    let document = claims.get("id_document").or_else(|| claims.get("identification")).and_then(Value::as_object);
    let passport = document.and_then(|d| {
        let raw = format!("{}{}", text(d, "series")?, text(d, "number")?);
        let parsed = Passport::parse(&raw).ok()?;
        Some(IdDocument {
            kind: "passport_ru".into(),
            series: parsed.series,
            number: parsed.number,
            issue_date: text(d, "issue_date").or_else(|| text(d, "issued_date")),
            issuer: text(d, "issuer").or_else(|| text(d, "issued_by")),
        })
    });
    let gender = match claims.get("gender") {
        Some(Value::String(g)) => Gender::parse(g).ok().map(|g| g.as_str().to_owned()),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(1) => Some("male".into()),
            Some(2) => Some("female".into()),
            _ => None,
        },
        _ => None,
    };
    UpstreamIdentity {
        subject,
        given_name: text(claims, "given_name"),
        family_name: text(claims, "family_name"),
        middle_name: text(claims, "middle_name"),
        birthdate: text(claims, "birthdate")
            .and_then(|b| crate::domain::birth_date(&b, today).ok())
            .map(|d| d.to_string()),
        gender,
        phone_verified: phone.is_some() && phone_verified,
        phone,
        email: text(claims, "email"),
        snils: text(claims, "snils").and_then(|s| Snils::parse(&s).ok()).map(|s| s.digits().to_owned()),
        inn: text(claims, "inn")
            .and_then(|i| Inn::parse(&i).ok())
            .filter(Inn::is_personal)
            .map(|i| i.as_str().to_owned()),
        passport,
        amr,
    }
}
