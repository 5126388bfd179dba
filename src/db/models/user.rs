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
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Patronymic.
    pub middle_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthdate: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Whether the e-mail address was verified.
    pub email_verified: bool,
    /// Phone number, E.164.
    pub phone_number: Option<String>,
    /// Whether the phone number was verified.
    pub phone_number_verified: bool,
    /// OIDC address claim as JSON.
    pub address: Option<String>,
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

/// Loads a user by id.
pub fn find_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<UserRow>, DbError> {
    Ok(users::table.find(id).select(UserRow::as_select()).first(conn).optional()?)
}

/// Loads a user by sign-in name.
pub fn find_by_username(conn: &mut AnyConnection, username: &str) -> Result<Option<UserRow>, DbError> {
    Ok(users::table.filter(users::username.eq(username)).select(UserRow::as_select()).first(conn).optional()?)
}
