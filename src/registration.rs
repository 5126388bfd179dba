//! Dynamic client registration (RFC 7591) and management (RFC 7592). Closed unless
//! `registration.enabled`; even then each registration needs an initial access token an
//! operator issued (`vhod registration token`). Registered clients get a registration
//! access token for reading, updating and deleting themselves. Metadata is validated as
//! strictly as the admin API's, and self-registered clients can ask only for the
//! standard OpenID Connect scopes: API scopes and admin rights stay with operators.

use aws_lc_rs::digest;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::admin::AdminError;
use crate::admin::clients::{self, ClientSpec, ClientView};
use crate::app::Services;
use crate::audit::{Audit, AuditEvent, AuditKind};
use crate::db::models::client as client_db;
use crate::db::models::initial_access_token::{self as iat_db, InitialAccessTokenRow};
use crate::db::{DbError, DbPool, now};
use crate::domain::ClientId;
use crate::jose::{b64url, random_token};

/// Scopes a self-registered client may ask for.
const OPEN_SCOPES: [&str; 6] = ["openid", "profile", "email", "phone", "address", "offline_access"];

/// RFC 7591 §3.2.2 and RFC 6750 errors.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// Missing, unknown, expired or spent token.
    #[error("invalid token")]
    InvalidToken,
    /// A redirect URI is unacceptable.
    #[error("{0}")]
    InvalidRedirectUri(String),
    /// Other metadata is unacceptable.
    #[error("{0}")]
    InvalidClientMetadata(String),
    /// Storage failed.
    #[error(transparent)]
    Db(DbError),
}

impl RegistrationError {
    /// The `error` code on the wire.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidToken => "invalid_token",
            Self::InvalidRedirectUri(_) => "invalid_redirect_uri",
            Self::InvalidClientMetadata(_) => "invalid_client_metadata",
            Self::Db(DbError::Unavailable(_)) => "temporarily_unavailable",
            Self::Db(_) => "server_error",
        }
    }
}

impl From<DbError> for RegistrationError {
    fn from(e: DbError) -> Self {
        Self::Db(e)
    }
}

impl From<AdminError> for RegistrationError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Invalid(m) if m.starts_with("redirect URI") => Self::InvalidRedirectUri(m),
            AdminError::Invalid(m) => Self::InvalidClientMetadata(m),
            AdminError::Db(db) => Self::Db(db),
            other => Self::InvalidClientMetadata(other.to_string()),
        }
    }
}

fn digest_b64(token: &str) -> String {
    b64url(digest::digest(&digest::SHA256, token.as_bytes()).as_ref())
}

/// Issues an initial access token (shown once, stored as SHA-256).
pub async fn issue_initial_token(
    db: &DbPool,
    audit: &Audit,
    actor: &str,
    ttl_secs: i64,
    uses: Option<i64>,
) -> Result<SecretString, AdminError> {
    if ttl_secs <= 0 || uses.is_some_and(|u| u <= 0) {
        return Err(AdminError::Invalid("ttl and uses must be positive".into()));
    }
    let token = random_token(32);
    let at = now();
    let row = InitialAccessTokenRow {
        token_hash: digest_b64(&token),
        created_at: at,
        expires_at: at + ttl_secs,
        uses_left: uses,
    };
    db.run(move |conn| iat_db::insert(conn, &row)).await?;
    audit
        .record(
            AuditEvent::success(AuditKind::RegistrationTokenIssued)
                .actor(actor)
                .detail(json!({ "expires_at": at + ttl_secs, "uses": uses })),
        )
        .await;
    Ok(SecretString::from(token))
}

/// Client metadata as RFC 7591 §2 names it; unknown members are ignored (§2).
#[derive(Debug, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    redirect_uris: Vec<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    client_name: Option<String>,
    scope: Option<String>,
    jwks: Option<Value>,
    jwks_uri: Option<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    backchannel_logout_uri: Option<String>,
    subject_type: Option<String>,
    client_id: Option<String>,
}

fn parse_metadata(body: &[u8]) -> Result<Metadata, RegistrationError> {
    serde_json::from_slice(body).map_err(|e| RegistrationError::InvalidClientMetadata(format!("body: {e}")))
}

fn spec(id: String, m: Metadata) -> Result<ClientSpec, RegistrationError> {
    let grant_types = m.grant_types.unwrap_or_else(|| vec!["authorization_code".into()]);
    if let Some(types) = &m.response_types {
        let wants_code = grant_types.iter().any(|g| g == "authorization_code");
        let consistent = types.iter().all(|t| t == "code") && (types.is_empty() != wants_code);
        if !consistent {
            return Err(RegistrationError::InvalidClientMetadata(
                "response_types must be [\"code\"] exactly when grant_types has authorization_code".into(),
            ));
        }
    }
    if let Some(scope) = &m.scope
        && let Some(other) = scope.split(' ').find(|s| !s.is_empty() && !OPEN_SCOPES.contains(s))
    {
        return Err(RegistrationError::InvalidClientMetadata(format!(
            "scope `{other}` cannot be self-registered; ask an operator"
        )));
    }
    // Vhod itself calls these URLs: from self-registered clients, only public https
    // (no loopback http), so registration cannot aim Vhod at its own host (SSRF).
    for (field, url) in [("jwks_uri", &m.jwks_uri), ("backchannel_logout_uri", &m.backchannel_logout_uri)] {
        if url.as_deref().is_some_and(|u| !u.starts_with("https://")) {
            return Err(RegistrationError::InvalidClientMetadata(format!("{field} must be an https URL")));
        }
    }
    Ok(ClientSpec {
        id,
        name: m.client_name,
        secret: None,
        grant_types,
        scopes: m.scope.into_iter().collect(),
        redirect_uris: m.redirect_uris,
        audiences: Vec::new(),
        auth_method: m.token_endpoint_auth_method,
        subject_type: m.subject_type,
        first_party: false,
        admin: false,
        post_logout_redirect_uris: m.post_logout_redirect_uris,
        backchannel_logout_uri: m.backchannel_logout_uri,
        logout_revokes_refresh: false,
        jwks: m.jwks.map(|v| v.to_string()),
        jwks_uri: m.jwks_uri,
    })
}

/// RFC 7591 §3.2.1 / RFC 7592 §3 response body.
fn response(
    svc: &Services,
    view: &ClientView,
    secret: Option<&SecretString>,
    registration_token: Option<&str>,
) -> Value {
    let mut body = json!({
        "client_id": view.client_id,
        "client_id_issued_at": view.created_at,
        "client_name": view.client_name,
        "redirect_uris": view.redirect_uris,
        "grant_types": view.grant_types,
        "response_types": if view.grant_types.iter().any(|g| g == "authorization_code") { json!(["code"]) } else { json!([]) },
        "token_endpoint_auth_method": view.token_endpoint_auth_method,
        "scope": view.scope,
        "subject_type": view.subject_type,
        "post_logout_redirect_uris": view.post_logout_redirect_uris,
        "registration_client_uri": svc.config.issuer.endpoint(&format!("/register/{}", view.client_id)),
    });
    if let Some(uri) = &view.backchannel_logout_uri {
        body["backchannel_logout_uri"] = json!(uri);
    }
    if let Some(uri) = &view.jwks_uri {
        body["jwks_uri"] = json!(uri);
    }
    if let Some(secret) = secret {
        body["client_secret"] = json!(secret.expose_secret());
        body["client_secret_expires_at"] = json!(0);
    }
    if let Some(token) = registration_token {
        body["registration_access_token"] = json!(token);
    }
    body
}

/// `POST /register`.
pub async fn register(svc: &Services, initial_token: &str, body: &[u8]) -> Result<Value, RegistrationError> {
    let hash = digest_b64(initial_token);
    if !svc.db.run(move |conn| iat_db::spend(conn, &hash, now())).await? {
        return Err(RegistrationError::InvalidToken);
    }
    let metadata = parse_metadata(body)?;
    let id = format!("dyn-{}", random_token(12));
    let created = clients::create(&svc.db, &svc.audit, "registration", spec(id.clone(), metadata)?).await?;
    let registration_token = random_token(32);
    let stored = digest_b64(&registration_token);
    let key = id.clone();
    svc.db.run(move |conn| client_db::set_registration_token(conn, &key, &stored)).await?;
    svc.audit.record(AuditEvent::success(AuditKind::ClientRegistered).client(id.as_str())).await;
    Ok(response(svc, &created.client, created.secret.as_ref(), Some(&registration_token)))
}

/// Checks a registration access token for `client_id`.
async fn authorized(svc: &Services, client_id: &str, token: &str) -> Result<ClientId, RegistrationError> {
    let id = ClientId::parse(client_id).map_err(|_| RegistrationError::InvalidToken)?;
    let lookup = id.clone();
    let client =
        svc.db.run(move |conn| client_db::find(conn, &lookup)).await?.ok_or(RegistrationError::InvalidToken)?;
    let stored = client.registration_token_hash.ok_or(RegistrationError::InvalidToken)?;
    if !bool::from(digest_b64(token).as_bytes().ct_eq(stored.as_bytes())) {
        return Err(RegistrationError::InvalidToken);
    }
    Ok(id)
}

/// `GET /register/{client_id}`.
pub async fn read(svc: &Services, client_id: &str, token: &str) -> Result<Value, RegistrationError> {
    let id = authorized(svc, client_id, token).await?;
    let view = clients::show(&svc.db, id.as_str()).await?;
    Ok(response(svc, &view, None, None))
}

/// `PUT /register/{client_id}`: replaces the metadata; the secret stays.
pub async fn update(svc: &Services, client_id: &str, token: &str, body: &[u8]) -> Result<Value, RegistrationError> {
    let id = authorized(svc, client_id, token).await?;
    let metadata = parse_metadata(body)?;
    if metadata.client_id.as_deref().is_some_and(|c| c != id.as_str()) {
        return Err(RegistrationError::InvalidClientMetadata("client_id must match the registration".into()));
    }
    let view = clients::update(&svc.db, &svc.audit, "registration", spec(id.to_string(), metadata)?).await?;
    svc.clients.invalidate(&id);
    Ok(response(svc, &view, None, None))
}

/// `DELETE /register/{client_id}`.
pub async fn delete(svc: &Services, client_id: &str, token: &str) -> Result<(), RegistrationError> {
    let id = authorized(svc, client_id, token).await?;
    clients::delete(&svc.db, &svc.audit, "registration", id.as_str()).await?;
    svc.clients.invalidate(&id);
    Ok(())
}
