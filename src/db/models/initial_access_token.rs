//! `initial_access_tokens` rows (stored as SHA-256).

use diesel::prelude::*;

use crate::db::schema::initial_access_tokens;
use crate::db::{AnyConnection, DbError};

/// An initial access token.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = initial_access_tokens)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct InitialAccessTokenRow {
    /// base64url SHA-256 of the token.
    pub token_hash: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Registrations it may still open (`None` = unlimited until expiry).
    pub uses_left: Option<i64>,
}

/// Stores a token.
pub fn insert(conn: &mut AnyConnection, row: &InitialAccessTokenRow) -> Result<(), DbError> {
    diesel::insert_into(initial_access_tokens::table).values(row).execute(conn)?;
    Ok(())
}

/// Spends one use of a live token; returns whether it was valid.
pub fn spend(conn: &mut AnyConnection, token_hash: &str, now: i64) -> Result<bool, DbError> {
    conn.transaction(|conn| {
        let row: Option<InitialAccessTokenRow> = initial_access_tokens::table
            .find(token_hash)
            .select(InitialAccessTokenRow::as_select())
            .first(conn)
            .optional()?;
        let Some(row) = row.filter(|r| r.expires_at > now && r.uses_left.is_none_or(|n| n > 0)) else {
            return Ok(false);
        };
        if let Some(n) = row.uses_left {
            let updated = diesel::update(
                initial_access_tokens::table.find(token_hash).filter(initial_access_tokens::uses_left.eq(n)),
            )
            .set(initial_access_tokens::uses_left.eq(n - 1))
            .execute(conn)?;
            return Ok(updated == 1);
        }
        Ok(true)
    })
    .map_err(|e: diesel::result::Error| e.into())
}
