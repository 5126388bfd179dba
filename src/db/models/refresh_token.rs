//! `refresh_tokens` rows. Tokens are stored as SHA-256 digests; each use marks the row
//! used and issues a new row in the same family, so a second use of any row is reuse.

use diesel::prelude::*;

use crate::db::schema::refresh_tokens;
use crate::db::{AnyConnection, DbError};

/// A stored refresh token.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct RefreshTokenRow {
    /// base64url SHA-256 of the token.
    pub token_hash: String,
    /// Rotation family.
    pub family_id: String,
    /// Client it was issued to.
    pub client_id: String,
    /// Its user.
    pub user_id: String,
    /// Granted scopes.
    pub scopes: String,
    /// Browser session it came from.
    pub sid: String,
    /// When the user authenticated.
    pub auth_time: i64,
    /// Methods used, space-separated.
    pub amr: String,
    /// Authentication context class.
    pub acr: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// When it was exchanged.
    pub used_at: Option<i64>,
    /// When its family was revoked.
    pub revoked_at: Option<i64>,
}

/// Loads a token by digest.
pub fn find(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<RefreshTokenRow>, DbError> {
    Ok(refresh_tokens::table.find(token_hash).select(RefreshTokenRow::as_select()).first(conn).optional()?)
}

/// Stores a token.
pub fn insert(conn: &mut AnyConnection, row: &RefreshTokenRow) -> Result<(), DbError> {
    diesel::insert_into(refresh_tokens::table).values(row).execute(conn)?;
    Ok(())
}

/// Marks a token used if it is still unused and unrevoked; returns whether this call won.
pub fn mark_used(conn: &mut AnyConnection, token_hash: &str, at: i64) -> Result<bool, DbError> {
    let updated = diesel::update(
        refresh_tokens::table
            .find(token_hash)
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(at))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Revokes a client's live tokens from one browser session; returns how many.
pub fn revoke_for_session(conn: &mut AnyConnection, sid: &str, client_id: &str, at: i64) -> Result<usize, DbError> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::sid.eq(sid))
            .filter(refresh_tokens::client_id.eq(client_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(at))
    .execute(conn)?)
}

/// Revokes every token of a family; returns how many were live.
pub fn revoke_family(conn: &mut AnyConnection, family_id: &str, at: i64) -> Result<usize, DbError> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(at))
    .execute(conn)?)
}

/// Revokes every live token a client holds for an account; returns how many.
pub fn revoke_for_user(conn: &mut AnyConnection, user_id: &str, client_id: &str, at: i64) -> Result<usize, DbError> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::client_id.eq(client_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(at))
    .execute(conn)?)
}

/// Revokes every live refresh token of an account, for every client.
pub fn revoke_all_for_user(conn: &mut AnyConnection, user_id: &str, at: i64) -> Result<usize, DbError> {
    Ok(diesel::update(
        refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(at)))
    .execute(conn)?)
}
