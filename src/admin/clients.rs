//! Client registration and management.

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;

use super::AdminError;
use crate::audit::{Audit, AuditEvent, AuditKind};
use crate::credentials::{MIN_CLIENT_SECRET_LEN, generate_client_secret, hash_client_secret};
use crate::db::models::client as client_db;
use crate::db::models::client::ClientRow;
use crate::db::{DbError, DbPool, now};
use crate::domain::{Audience, AuthMethod, Client, ClientId, GrantType, RedirectUri, Scopes, SubjectType};

/// Scopes an authorization-code client gets when none are named.
pub const DEFAULT_USER_SCOPES: &str = "openid profile email phone address offline_access";

/// What an operator asks for when registering a client; raw strings, parsed here.
#[derive(Debug, Default)]
pub struct ClientSpec {
    /// Client id.
    pub id: String,
    /// Display name (defaults to the id).
    pub name: Option<String>,
    /// Chosen secret (≥ 32 characters); generated when absent.
    pub secret: Option<SecretString>,
    /// Grant types (defaults to `client_credentials`).
    pub grant_types: Vec<String>,
    /// Allowed scopes (each entry may hold several, space-separated).
    pub scopes: Vec<String>,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Audiences.
    pub audiences: Vec<String>,
    /// Token-endpoint auth method (defaults to `client_secret_basic`).
    pub auth_method: Option<String>,
    /// `public` (default) or `pairwise`.
    pub subject_type: Option<String>,
    /// Trusted first-party application (no consent page).
    pub first_party: bool,
    /// May be granted the admin scope.
    pub admin: bool,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Back-channel logout receiver.
    pub backchannel_logout_uri: Option<String>,
    /// Ending a session revokes its refresh tokens for this client.
    pub logout_revokes_refresh: bool,
    /// Inline JWK Set JSON (private_key_jwt).
    pub jwks: Option<String>,
    /// JWK Set URL (private_key_jwt).
    pub jwks_uri: Option<String>,
}

/// A client as shown to operators (never its secret).
#[derive(Debug, Clone, Serialize)]
pub struct ClientView {
    /// Id.
    pub client_id: String,
    /// Display name.
    pub client_name: String,
    /// Token-endpoint auth method.
    pub token_endpoint_auth_method: String,
    /// Grant types.
    pub grant_types: Vec<String>,
    /// Allowed scopes, space-separated.
    pub scope: String,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Audiences.
    pub audiences: Vec<String>,
    /// `public` or `pairwise`.
    pub subject_type: String,
    /// Skips consent.
    pub first_party: bool,
    /// May use the admin API.
    pub admin: bool,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Back-channel logout receiver.
    pub backchannel_logout_uri: Option<String>,
    /// Ending a session revokes its refresh tokens for this client.
    pub logout_revokes_refresh: bool,
    /// Whether public keys are registered inline.
    pub jwks: bool,
    /// JWK Set URL.
    pub jwks_uri: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        Self {
            client_id: c.id.to_string(),
            client_name: c.name.clone(),
            token_endpoint_auth_method: c.auth_method.to_string(),
            grant_types: c.grant_types.iter().map(ToString::to_string).collect(),
            scope: c.scopes.to_string(),
            redirect_uris: c.redirect_uris.iter().map(|u| u.as_str().to_owned()).collect(),
            audiences: c.audiences.iter().map(ToString::to_string).collect(),
            subject_type: c.subject_type.as_str().to_owned(),
            first_party: c.first_party,
            admin: c.admin,
            post_logout_redirect_uris: c.post_logout_redirect_uris.iter().map(|u| u.as_str().to_owned()).collect(),
            backchannel_logout_uri: c.backchannel_logout_uri.as_ref().map(|u| u.as_str().to_owned()),
            logout_revokes_refresh: c.logout_revokes_refresh,
            jwks: c.jwks.is_some(),
            jwks_uri: c.jwks_uri.clone(),
            created_at: c.created_at,
        }
    }
}

/// A newly created client and its secret, shown exactly once.
#[derive(Debug)]
pub struct CreatedClient {
    /// The stored client.
    pub client: ClientView,
    /// The secret in clear (none for public clients); not stored anywhere.
    pub secret: Option<SecretString>,
}

fn invalid(field: &str, e: impl std::fmt::Display) -> AdminError {
    AdminError::Invalid(format!("{field}: {e}"))
}

/// Parses and checks a spec into a client (with its secret in clear).
fn build(spec: ClientSpec) -> Result<(Client, Option<SecretString>), AdminError> {
    let id = ClientId::parse(&spec.id).map_err(|e| invalid("client id", e))?;
    let name = spec.name.unwrap_or_else(|| spec.id.clone());
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(invalid("name", "must be 1 to 200 characters"));
    }
    let grant_types: Vec<GrantType> = if spec.grant_types.is_empty() {
        vec![GrantType::ClientCredentials]
    } else {
        let mut out = Vec::new();
        for g in &spec.grant_types {
            let g: GrantType = g.parse().map_err(|e| invalid("grant type", e))?;
            if !out.contains(&g) {
                out.push(g);
            }
        }
        out
    };
    let requested_scopes: Vec<&str> = spec.scopes.iter().flat_map(|s| s.split(' ')).filter(|s| !s.is_empty()).collect();
    let scopes = if requested_scopes.is_empty() && grant_types.contains(&GrantType::AuthorizationCode) {
        Scopes::parse(DEFAULT_USER_SCOPES).expect("constant scopes are valid")
    } else {
        Scopes::from_tokens(requested_scopes).map_err(|e| invalid("scope", e))?
    };
    let redirect_uris = spec
        .redirect_uris
        .iter()
        .map(|u| RedirectUri::parse(u))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid("redirect URI", e))?;
    if grant_types.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
        return Err(invalid("redirect URI", "the authorization_code grant needs at least one"));
    }
    let audiences = spec
        .audiences
        .iter()
        .map(|a| Audience::parse(a))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid("audience", e))?;
    let auth_method = match spec.auth_method.as_deref() {
        None => AuthMethod::ClientSecretBasic,
        Some(m) => m.parse().map_err(|e| invalid("auth method", e))?,
    };
    let subject_type = match spec.subject_type.as_deref() {
        None => SubjectType::Public,
        Some(s) => s.parse().map_err(|e| invalid("subject type", e))?,
    };
    let hosts: std::collections::BTreeSet<_> =
        redirect_uris.iter().filter_map(|u| url::Url::parse(u.as_str()).ok()?.host_str().map(str::to_owned)).collect();
    if subject_type == SubjectType::Pairwise && hosts.len() != 1 {
        return Err(invalid("subject type", "pairwise clients need redirect URIs on exactly one host (their sector)"));
    }
    if auth_method == AuthMethod::PrivateKeyJwt && spec.secret.is_some() {
        return Err(invalid("secret", "a private_key_jwt client authenticates with its key, not a secret"));
    }
    if auth_method == AuthMethod::None {
        if spec.secret.is_some() {
            return Err(invalid("secret", "a public client (auth method none) has no secret"));
        }
        if grant_types.contains(&GrantType::ClientCredentials) {
            return Err(invalid("grant type", "a public client cannot use client_credentials"));
        }
    }
    let post_logout_redirect_uris = spec
        .post_logout_redirect_uris
        .iter()
        .map(|u| RedirectUri::parse(u))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid("post-logout redirect URI", e))?;
    let backchannel_logout_uri = match spec.backchannel_logout_uri.as_deref() {
        None => None,
        Some(raw) => {
            let uri = RedirectUri::parse(raw).map_err(|e| invalid("back-channel logout URI", e))?;
            if !raw.starts_with("https://") && !raw.starts_with("http://") {
                return Err(invalid("back-channel logout URI", "must be an http(s) URL"));
            }
            Some(uri)
        }
    };
    let jwks = match (&spec.jwks, &spec.jwks_uri) {
        (Some(_), Some(_)) => return Err(invalid("jwks", "register either jwks or jwks_uri, not both")),
        (Some(raw), None) => {
            let value: serde_json::Value =
                serde_json::from_str(raw).map_err(|e| invalid("jwks", format!("not JSON: {e}")))?;
            let private = ["d", "p", "q", "dp", "dq", "qi", "k"];
            let keys = value.get("keys").and_then(serde_json::Value::as_array).cloned().unwrap_or_default();
            if keys.is_empty() || keys.iter().any(|k| private.iter().any(|m| k.get(m).is_some())) {
                return Err(invalid("jwks", "must hold at least one key and only public keys"));
            }
            let set: jsonwebtoken::jwk::JwkSet =
                serde_json::from_value(value).map_err(|e| invalid("jwks", format!("not a JWK Set: {e}")))?;
            Some(serde_json::to_string(&set).expect("a JWK Set always serializes"))
        }
        (None, Some(uri)) => {
            if !uri.starts_with("https://") && RedirectUri::parse(uri).is_err() {
                return Err(invalid("jwks_uri", "must be an https URL (http only on loopback)"));
            }
            None
        }
        (None, None) => None,
    };
    let uses_keys = auth_method == AuthMethod::PrivateKeyJwt;
    if uses_keys != (jwks.is_some() || spec.jwks_uri.is_some()) {
        return Err(invalid("jwks", "private_key_jwt needs jwks or jwks_uri, and only it uses them"));
    }
    if spec.admin && !grant_types.contains(&GrantType::ClientCredentials) {
        return Err(invalid("admin", "an admin client must use client_credentials"));
    }
    let secret = match spec.secret {
        Some(s) if s.expose_secret().chars().count() < MIN_CLIENT_SECRET_LEN => {
            return Err(invalid("secret", format!("must be at least {MIN_CLIENT_SECRET_LEN} characters")));
        }
        Some(s) if s.expose_secret().chars().any(|c| c.is_control()) => {
            return Err(invalid("secret", "must not contain control characters"));
        }
        Some(s) => Some(s),
        None if matches!(auth_method, AuthMethod::None | AuthMethod::PrivateKeyJwt) => None,
        None => Some(generate_client_secret()),
    };
    let at = now();
    let client = Client {
        id,
        name,
        secret_hash: secret.as_ref().map(|s| hash_client_secret(s.expose_secret())),
        auth_method,
        grant_types,
        scopes,
        redirect_uris,
        audiences,
        created_at: at,
        updated_at: at,
        first_party: spec.first_party,
        subject_type,
        admin: spec.admin,
        post_logout_redirect_uris,
        backchannel_logout_uri,
        logout_revokes_refresh: spec.logout_revokes_refresh,
        jwks,
        jwks_uri: spec.jwks_uri,
        registration_token_hash: None,
    };
    Ok((client, secret))
}

/// Registers a client.
pub async fn create(db: &DbPool, audit: &Audit, actor: &str, spec: ClientSpec) -> Result<CreatedClient, AdminError> {
    let (client, secret) = build(spec)?;
    let row = ClientRow::from_client(&client);
    db.run(move |conn| client_db::insert(conn, &row)).await.map_err(|e| match e {
        DbError::Conflict => AdminError::Conflict(format!("client {}", client.id)),
        other => other.into(),
    })?;
    audit
        .record(
            AuditEvent::success(AuditKind::ClientCreated)
                .actor(actor)
                .client(client.id.as_str())
                .detail(json!({ "grant_types": client.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
                                "scope": client.scopes.to_string() })),
        )
        .await;
    Ok(CreatedClient { client: ClientView::from(&client), secret })
}

/// All clients.
pub async fn list(db: &DbPool) -> Result<Vec<ClientView>, AdminError> {
    let rows = db.run(client_db::list).await?;
    rows.into_iter().map(|r| Ok(ClientView::from(&r.into_client()?))).collect()
}

/// One client.
pub async fn show(db: &DbPool, id: &str) -> Result<ClientView, AdminError> {
    let id = ClientId::parse(id).map_err(|e| invalid("client id", e))?;
    let shown = id.clone();
    let client = db.run(move |conn| client_db::find(conn, &id)).await?;
    client.map(|c| ClientView::from(&c)).ok_or_else(|| AdminError::NotFound(format!("client {shown}")))
}

/// Replaces a client's metadata; its secret stays. The spec's secret must be absent.
pub async fn update(db: &DbPool, audit: &Audit, actor: &str, spec: ClientSpec) -> Result<ClientView, AdminError> {
    if spec.secret.is_some() {
        return Err(invalid("secret", "rotate secrets with the secret endpoint, not an update"));
    }
    let id = ClientId::parse(&spec.id).map_err(|e| invalid("client id", e))?;
    let lookup = id.clone();
    let existing = db
        .run(move |conn| client_db::find(conn, &lookup))
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("client {id}")))?;
    let public_now = spec.auth_method.as_deref() == Some("none");
    if existing.is_public() != public_now {
        return Err(invalid("auth method", "a client cannot switch between public and confidential"));
    }
    let keep_secret = existing.secret_hash.clone();
    let (mut client, _) = build(ClientSpec { secret: None, ..spec })?;
    client.secret_hash = keep_secret;
    client.created_at = existing.created_at;
    let row = ClientRow::from_client(&client);
    db.run(move |conn| client_db::update(conn, &row)).await?;
    audit.record(AuditEvent::success(AuditKind::ClientUpdated).actor(actor).client(client.id.as_str())).await;
    Ok(ClientView::from(&client))
}

/// Generates a new secret for a confidential client; the old one stops working.
pub async fn rotate_secret(db: &DbPool, audit: &Audit, actor: &str, id: &str) -> Result<SecretString, AdminError> {
    let id = ClientId::parse(id).map_err(|e| invalid("client id", e))?;
    let lookup = id.clone();
    let existing = db
        .run(move |conn| client_db::find(conn, &lookup))
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("client {id}")))?;
    if existing.is_public() {
        return Err(invalid("secret", "a public client has no secret"));
    }
    let secret = generate_client_secret();
    let hash = Some(hash_client_secret(secret.expose_secret()));
    let key = id.to_string();
    db.run(move |conn| client_db::update_secret(conn, &key, hash, now())).await?;
    audit.record(AuditEvent::success(AuditKind::ClientSecretRotated).actor(actor).client(id.as_str())).await;
    Ok(secret)
}

/// Deletes a client.
pub async fn delete(db: &DbPool, audit: &Audit, actor: &str, id: &str) -> Result<(), AdminError> {
    let id = ClientId::parse(id).map_err(|e| invalid("client id", e))?;
    let key = id.as_str().to_owned();
    if !db.run(move |conn| client_db::delete(conn, &key)).await? {
        return Err(AdminError::NotFound(format!("client {id}")));
    }
    audit.record(AuditEvent::success(AuditKind::ClientDeleted).actor(actor).client(id.as_str())).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ClientSpec {
        ClientSpec { id: "svc".into(), ..Default::default() }
    }

    #[test]
    fn defaults_give_a_client_credentials_client_with_a_generated_secret() {
        let (client, secret) = build(spec()).unwrap();
        assert_eq!(client.grant_types, [GrantType::ClientCredentials]);
        assert_eq!(client.auth_method, AuthMethod::ClientSecretBasic);
        let secret = secret.expect("confidential clients get a secret");
        assert!(secret.expose_secret().len() >= 43);
        assert_eq!(client.secret_hash.as_deref(), Some(&hash_client_secret(secret.expose_secret())[..]));
    }

    #[test]
    fn short_secrets_and_bad_fields_are_refused_with_the_field_named() {
        let short = ClientSpec { secret: Some(SecretString::from("short")), ..spec() };
        assert!(build(short).unwrap_err().to_string().starts_with("secret:"));
        let code = ClientSpec { grant_types: vec!["authorization_code".into()], ..spec() };
        assert!(build(code).unwrap_err().to_string().starts_with("redirect URI:"));
        let grant = ClientSpec { grant_types: vec!["password".into()], ..spec() };
        assert!(build(grant).unwrap_err().to_string().starts_with("grant type:"));
        let id = ClientSpec { id: "a b".into(), ..spec() };
        assert!(build(id).unwrap_err().to_string().starts_with("client id:"));
    }
}
