//! `consents` rows: what a user allowed a client to receive.

use diesel::prelude::*;

use crate::db::schema::consents;
use crate::db::{AnyConnection, DbError};

/// A remembered consent.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = consents)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct ConsentRow {
    /// The user.
    pub user_id: String,
    /// The client.
    pub client_id: String,
    /// Allowed scopes, space-separated.
    pub scopes: String,
    /// Unix seconds.
    pub granted_at: i64,
}

/// The consent of `user_id` for `client_id`.
pub fn find(conn: &mut AnyConnection, user_id: &str, client_id: &str) -> Result<Option<ConsentRow>, DbError> {
    Ok(consents::table.find((user_id, client_id)).select(ConsentRow::as_select()).first(conn).optional()?)
}

/// Every consent of a user.
pub fn list_for_user(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<ConsentRow>, DbError> {
    Ok(consents::table
        .filter(consents::user_id.eq(user_id))
        .order(consents::client_id)
        .select(ConsentRow::as_select())
        .load(conn)?)
}

/// Stores or replaces a consent.
pub fn upsert(conn: &mut AnyConnection, row: &ConsentRow) -> Result<(), DbError> {
    conn.transaction(|conn| {
        let updated = diesel::update(consents::table.find((&row.user_id, &row.client_id))).set(row).execute(conn)?;
        if updated == 0 {
            diesel::insert_into(consents::table).values(row).execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

/// Removes a consent; returns whether one existed.
pub fn delete(conn: &mut AnyConnection, user_id: &str, client_id: &str) -> Result<bool, DbError> {
    Ok(diesel::delete(consents::table.find((user_id, client_id))).execute(conn)? > 0)
}
