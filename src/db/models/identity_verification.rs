//! `identity_verifications` rows: the history of an account's level.

use diesel::prelude::*;

use crate::db::schema::identity_verifications as table;
use crate::db::{AnyConnection, DbError};

/// Who verified which data of an account, when, and how.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = table)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct VerificationRow {
    /// Time-ordered id (the `verification_process` of `verified_claims`).
    pub id: String,
    /// The account.
    pub user_id: String,
    /// The account level after this event.
    pub level: String,
    /// `VerificationMethod` name.
    pub method: String,
    /// Who verified: the registry, an operator, an identity provider.
    pub verifier: String,
    /// JSON list of the claim names verified.
    pub claims: String,
    /// JSON evidence (OIDC Identity Assurance shape).
    pub evidence: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Appends a record.
pub fn insert(conn: &mut AnyConnection, row: &VerificationRow) -> Result<(), DbError> {
    diesel::insert_into(table::table).values(row).execute(conn)?;
    Ok(())
}

/// An account's history, newest first.
pub fn for_user(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<VerificationRow>, DbError> {
    Ok(table::table
        .filter(table::user_id.eq(user_id))
        .order(table::id.desc())
        .select(VerificationRow::as_select())
        .load(conn)?)
}
