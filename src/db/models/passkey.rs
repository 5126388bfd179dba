//! `passkeys` rows.

use diesel::prelude::*;

use crate::db::schema::passkeys as table;
use crate::db::{AnyConnection, DbError};

/// A stored passkey.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = table)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct PasskeyRow {
    /// Credential id, base64url.
    pub id: String,
    /// The account.
    pub user_id: String,
    /// The citizen's name for it.
    pub name: String,
    /// webauthn-rs `Passkey` as JSON (public key, counter).
    pub credential: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub last_used_at: Option<i64>,
}

/// Adds a passkey.
pub fn insert(conn: &mut AnyConnection, row: &PasskeyRow) -> Result<(), DbError> {
    diesel::insert_into(table::table).values(row).execute(conn)?;
    Ok(())
}

/// A passkey by credential id.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<PasskeyRow>, DbError> {
    Ok(table::table.find(id).select(PasskeyRow::as_select()).first(conn).optional()?)
}

/// An account's passkeys, oldest first.
pub fn for_user(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<PasskeyRow>, DbError> {
    Ok(table::table
        .filter(table::user_id.eq(user_id))
        .order(table::created_at.asc())
        .select(PasskeyRow::as_select())
        .load(conn)?)
}

/// Stores the updated counter after a use.
pub fn used(conn: &mut AnyConnection, id: &str, credential: &str, at: i64) -> Result<(), DbError> {
    diesel::update(table::table.find(id))
        .set((table::credential.eq(credential), table::last_used_at.eq(Some(at))))
        .execute(conn)?;
    Ok(())
}

/// Removes one of an account's passkeys; returns whether it existed.
pub fn delete(conn: &mut AnyConnection, user_id: &str, id: &str) -> Result<bool, DbError> {
    Ok(diesel::delete(table::table.filter(table::id.eq(id)).filter(table::user_id.eq(user_id))).execute(conn)? > 0)
}

/// Removes every passkey of an account; returns how many.
pub fn delete_all(conn: &mut AnyConnection, user_id: &str) -> Result<usize, DbError> {
    Ok(diesel::delete(table::table.filter(table::user_id.eq(user_id))).execute(conn)?)
}
