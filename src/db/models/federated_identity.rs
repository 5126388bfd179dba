//! `federated_identities` rows: which upstream account signs in to which account.

use diesel::prelude::*;

use crate::db::schema::federated_identities as table;
use crate::db::{AnyConnection, DbError};

/// One link.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = table)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct LinkRow {
    /// Provider id from configuration.
    pub provider: String,
    /// The provider's subject for the citizen.
    pub subject: String,
    /// The account.
    pub user_id: String,
    /// Unix seconds.
    pub linked_at: i64,
}

/// The account an upstream subject signs in to.
pub fn find(conn: &mut AnyConnection, provider: &str, subject: &str) -> Result<Option<LinkRow>, DbError> {
    Ok(table::table
        .filter(table::provider.eq(provider))
        .filter(table::subject.eq(subject))
        .select(LinkRow::as_select())
        .first(conn)
        .optional()?)
}

/// Links; `DbError::Conflict` when the upstream account is already linked.
pub fn insert(conn: &mut AnyConnection, row: &LinkRow) -> Result<(), DbError> {
    diesel::insert_into(table::table).values(row).execute(conn)?;
    Ok(())
}

/// An account's links.
pub fn for_user(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<LinkRow>, DbError> {
    Ok(table::table
        .filter(table::user_id.eq(user_id))
        .order(table::linked_at.asc())
        .select(LinkRow::as_select())
        .load(conn)?)
}

/// Removes an account's link to a provider; returns whether one existed.
pub fn delete(conn: &mut AnyConnection, user_id: &str, provider: &str) -> Result<bool, DbError> {
    Ok(diesel::delete(table::table.filter(table::user_id.eq(user_id)).filter(table::provider.eq(provider)))
        .execute(conn)?
        > 0)
}

/// Removes every upstream link of an account; returns how many.
pub fn delete_all(conn: &mut AnyConnection, user_id: &str) -> Result<usize, DbError> {
    Ok(diesel::delete(table::table.filter(table::user_id.eq(user_id))).execute(conn)?)
}
