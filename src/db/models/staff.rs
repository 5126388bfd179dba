//! `staff` rows.

use diesel::prelude::*;

use crate::db::schema::staff;
use crate::db::{AnyConnection, DbError};

/// A staff account.
#[derive(Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = staff)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct StaffRow {
    /// Stable id.
    pub id: String,
    /// Sign-in name (lowercase).
    pub username: String,
    /// Name shown in the audit log and on pages.
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Phone for the one-time sign-in code, E.164.
    pub phone: String,
    /// Space-separated role names.
    pub roles: String,
    /// Office or organisation the member works for.
    pub office: String,
    /// Disabled members cannot sign in.
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl std::fmt::Debug for StaffRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffRow").field("username", &self.username).field("roles", &self.roles).finish_non_exhaustive()
    }
}

/// Inserts a member; `DbError::Conflict` when the user name is taken.
pub fn insert(conn: &mut AnyConnection, row: &StaffRow) -> Result<(), DbError> {
    diesel::insert_into(staff::table).values(row).execute(conn)?;
    Ok(())
}

/// Writes every column of a member.
pub fn update(conn: &mut AnyConnection, row: &StaffRow) -> Result<bool, DbError> {
    Ok(diesel::update(staff::table.find(&row.id)).set(row).execute(conn)? == 1)
}

/// A member by id.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<StaffRow>, DbError> {
    Ok(staff::table.find(id).select(StaffRow::as_select()).first(conn).optional()?)
}

/// A member by user name.
pub fn find_by_username(conn: &mut AnyConnection, username: &str) -> Result<Option<StaffRow>, DbError> {
    Ok(staff::table.filter(staff::username.eq(username)).select(StaffRow::as_select()).first(conn).optional()?)
}

/// Every member, by user name.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<StaffRow>, DbError> {
    Ok(staff::table.order(staff::username.asc()).select(StaffRow::as_select()).load(conn)?)
}
