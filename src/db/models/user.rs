//! `users` rows.

use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::{AnyConnection, DbError};

/// A stored citizen account.
#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct UserRow {
    /// Stable subject identifier.
    pub id: String,
    /// Sign-in name.
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow").field("id", &self.id).field("username", &self.username).finish_non_exhaustive()
    }
}

/// Inserts a user; `DbError::Conflict` when the user name is taken.
pub fn insert(conn: &mut AnyConnection, row: &UserRow) -> Result<(), DbError> {
    diesel::insert_into(users::table).values(row).execute(conn)?;
    Ok(())
}

/// Loads a user by sign-in name.
pub fn find_by_username(conn: &mut AnyConnection, username: &str) -> Result<Option<UserRow>, DbError> {
    Ok(users::table.filter(users::username.eq(username)).select(UserRow::as_select()).first(conn).optional()?)
}
