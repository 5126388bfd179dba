//! `clients` rows.

use diesel::prelude::*;

use crate::db::schema::clients;
use crate::db::{AnyConnection, DbError};
use crate::domain::{Audience, Client, ClientId, RedirectUri, Scopes};

/// A stored client. List columns are space-separated.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = clients)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct ClientRow {
    /// Client identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// SHA-256 of the secret; `None` for clients without one.
    pub secret_hash: Option<Vec<u8>>,
    /// Registered token-endpoint authentication method.
    pub token_endpoint_auth_method: String,
    /// Allowed grant types.
    pub grant_types: String,
    /// Allowed scopes.
    pub scopes: String,
    /// Registered redirect URIs.
    pub redirect_uris: String,
    /// Audiences its tokens may carry.
    pub audiences: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Skips the consent page.
    pub first_party: bool,
    /// `public` or `pairwise`.
    pub subject_type: String,
    /// May be granted the admin scope.
    pub admin: bool,
    /// Where RP-initiated logout may return, space-separated.
    pub post_logout_redirect_uris: String,
    /// Back-channel logout receiver.
    pub backchannel_logout_uri: Option<String>,
    /// Ending a session revokes this client's refresh tokens from it.
    pub logout_revokes_refresh: bool,
    /// Inline JWK Set (private_key_jwt).
    pub jwks: Option<String>,
    /// JWK Set URL (private_key_jwt).
    pub jwks_uri: Option<String>,
    /// SHA-256 of the RFC 7592 registration access token (dynamically registered clients).
    pub registration_token_hash: Option<String>,
}

/// Loads one client.
pub fn find_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<ClientRow>, DbError> {
    Ok(clients::table.find(id).select(ClientRow::as_select()).first(conn).optional()?)
}

/// All clients, ordered by id.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<ClientRow>, DbError> {
    Ok(clients::table.order(clients::id).select(ClientRow::as_select()).load(conn)?)
}

/// Inserts a client; `DbError::Conflict` when the id is taken.
pub fn insert(conn: &mut AnyConnection, row: &ClientRow) -> Result<(), DbError> {
    diesel::insert_into(clients::table).values(row).execute(conn)?;
    Ok(())
}

/// Replaces a client's metadata (not its id, secret or creation time); returns whether
/// it existed.
pub fn update(conn: &mut AnyConnection, row: &ClientRow) -> Result<bool, DbError> {
    let updated = diesel::update(clients::table.find(&row.id))
        .set((
            clients::name.eq(&row.name),
            clients::token_endpoint_auth_method.eq(&row.token_endpoint_auth_method),
            clients::grant_types.eq(&row.grant_types),
            clients::scopes.eq(&row.scopes),
            clients::redirect_uris.eq(&row.redirect_uris),
            clients::audiences.eq(&row.audiences),
            clients::updated_at.eq(row.updated_at),
            clients::first_party.eq(row.first_party),
            clients::subject_type.eq(&row.subject_type),
            clients::admin.eq(row.admin),
            clients::post_logout_redirect_uris.eq(&row.post_logout_redirect_uris),
            clients::backchannel_logout_uri.eq(&row.backchannel_logout_uri),
            clients::logout_revokes_refresh.eq(row.logout_revokes_refresh),
            clients::jwks.eq(&row.jwks),
            clients::jwks_uri.eq(&row.jwks_uri),
        ))
        .execute(conn)?;
    Ok(updated > 0)
}

/// Replaces a client's secret digest; returns whether it existed.
pub fn update_secret(
    conn: &mut AnyConnection,
    id: &str,
    secret_hash: Option<Vec<u8>>,
    at: i64,
) -> Result<bool, DbError> {
    let updated = diesel::update(clients::table.find(id))
        .set((clients::secret_hash.eq(secret_hash), clients::updated_at.eq(at)))
        .execute(conn)?;
    Ok(updated > 0)
}

/// Stores the digest of a client's registration access token.
pub fn set_registration_token(conn: &mut AnyConnection, id: &str, token_hash: &str) -> Result<(), DbError> {
    diesel::update(clients::table.find(id)).set(clients::registration_token_hash.eq(token_hash)).execute(conn)?;
    Ok(())
}

/// Deletes a client; returns whether it existed.
pub fn delete(conn: &mut AnyConnection, id: &str) -> Result<bool, DbError> {
    Ok(diesel::delete(clients::table.find(id)).execute(conn)? > 0)
}

impl ClientRow {
    /// Parses the stored columns into a [`Client`]; a bad column is `DbError::Corrupt`.
    pub fn into_client(self) -> Result<Client, DbError> {
        let corrupt =
            |what: &str, e: crate::domain::DomainError| DbError::Corrupt(format!("client {}: {what}: {e}", self.id));
        let words = |s: &str| s.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        Ok(Client {
            id: ClientId::parse(&self.id).map_err(|e| corrupt("id", e))?,
            auth_method: self.token_endpoint_auth_method.parse().map_err(|e| corrupt("auth method", e))?,
            grant_types: words(&self.grant_types)
                .iter()
                .map(|g| g.parse())
                .collect::<Result<_, _>>()
                .map_err(|e| corrupt("grant types", e))?,
            scopes: Scopes::parse(&self.scopes).map_err(|e| corrupt("scopes", e))?,
            redirect_uris: words(&self.redirect_uris)
                .iter()
                .map(|u| RedirectUri::parse(u))
                .collect::<Result<_, _>>()
                .map_err(|e| corrupt("redirect URIs", e))?,
            audiences: words(&self.audiences)
                .iter()
                .map(|a| Audience::parse(a))
                .collect::<Result<_, _>>()
                .map_err(|e| corrupt("audiences", e))?,
            subject_type: self.subject_type.parse().map_err(|e| corrupt("subject type", e))?,
            first_party: self.first_party,
            admin: self.admin,
            post_logout_redirect_uris: words(&self.post_logout_redirect_uris)
                .iter()
                .map(|u| RedirectUri::parse(u))
                .collect::<Result<_, _>>()
                .map_err(|e| corrupt("post-logout redirect URIs", e))?,
            backchannel_logout_uri: self
                .backchannel_logout_uri
                .as_deref()
                .map(RedirectUri::parse)
                .transpose()
                .map_err(|e| corrupt("back-channel logout URI", e))?,
            logout_revokes_refresh: self.logout_revokes_refresh,
            jwks: self.jwks,
            jwks_uri: self.jwks_uri,
            registration_token_hash: self.registration_token_hash,
            name: self.name,
            secret_hash: self.secret_hash,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }

    /// The stored form of a [`Client`].
    pub fn from_client(client: &Client) -> Self {
        let join = |items: Vec<&str>| items.join(" ");
        Self {
            id: client.id.as_str().to_owned(),
            name: client.name.clone(),
            secret_hash: client.secret_hash.clone(),
            token_endpoint_auth_method: client.auth_method.as_str().to_owned(),
            grant_types: join(client.grant_types.iter().map(|g| g.as_str()).collect()),
            scopes: client.scopes.to_string(),
            redirect_uris: join(client.redirect_uris.iter().map(RedirectUri::as_str).collect()),
            audiences: join(client.audiences.iter().map(Audience::as_str).collect()),
            created_at: client.created_at,
            updated_at: client.updated_at,
            first_party: client.first_party,
            subject_type: client.subject_type.as_str().to_owned(),
            admin: client.admin,
            post_logout_redirect_uris: join(client.post_logout_redirect_uris.iter().map(RedirectUri::as_str).collect()),
            backchannel_logout_uri: client.backchannel_logout_uri.as_ref().map(|u| u.as_str().to_owned()),
            logout_revokes_refresh: client.logout_revokes_refresh,
            jwks: client.jwks.clone(),
            jwks_uri: client.jwks_uri.clone(),
            registration_token_hash: client.registration_token_hash.clone(),
        }
    }
}

/// Loads and parses one client.
pub fn find(conn: &mut AnyConnection, id: &ClientId) -> Result<Option<Client>, DbError> {
    find_by_id(conn, id.as_str())?.map(ClientRow::into_client).transpose()
}
