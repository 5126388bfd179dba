//! `powers_of_attorney` rows.

use diesel::prelude::*;

use crate::db::schema::powers_of_attorney as poa;
use crate::db::{AnyConnection, DbError};

/// A power of attorney as recorded by an operator.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = poa)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct AttorneyRow {
    /// Id (the reference token exchange uses).
    pub id: String,
    /// The account represented.
    pub principal_id: String,
    /// The account acting.
    pub representative_id: String,
    /// Space-separated client ids the power covers.
    pub clients: String,
    /// Space-separated scopes the power covers.
    pub scopes: String,
    /// Unix seconds.
    pub valid_from: i64,
    /// Unix seconds.
    pub valid_until: i64,
    /// Notarial document reference.
    pub document_ref: String,
    /// `staff:NAME`.
    pub recorded_by: String,
    /// Office.
    pub office: String,
    /// Unix seconds.
    pub created_at: i64,
    /// When revoked.
    pub revoked_at: Option<i64>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

/// Inserts a power.
pub fn insert(conn: &mut AnyConnection, row: &AttorneyRow) -> Result<(), DbError> {
    diesel::insert_into(poa::table).values(row).execute(conn)?;
    Ok(())
}

/// A power by id.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<AttorneyRow>, DbError> {
    Ok(poa::table.find(id).select(AttorneyRow::as_select()).first(conn).optional()?)
}

/// Revokes a live power; `false` when it was already revoked.
pub fn revoke(conn: &mut AnyConnection, id: &str, at: i64, by: &str) -> Result<bool, DbError> {
    Ok(diesel::update(poa::table.find(id).filter(poa::revoked_at.is_null()))
        .set((poa::revoked_at.eq(Some(at)), poa::revoked_by.eq(Some(by))))
        .execute(conn)?
        == 1)
}

/// Powers where the account is the representative or the principal, newest first.
pub fn for_account(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<AttorneyRow>, DbError> {
    Ok(poa::table
        .filter(poa::representative_id.eq(user_id).or(poa::principal_id.eq(user_id)))
        .order(poa::created_at.desc())
        .select(AttorneyRow::as_select())
        .load(conn)?)
}

/// One page of powers, newest first, optionally for account or document reference `q`.
pub fn page(conn: &mut AnyConnection, q: &str, offset: i64, limit: i64) -> Result<Vec<AttorneyRow>, DbError> {
    let mut query = poa::table.into_boxed();
    if !q.is_empty() {
        query = query.filter(
            poa::principal_id
                .eq(q.to_owned())
                .or(poa::representative_id.eq(q.to_owned()))
                .or(poa::document_ref.like(format!("%{}%", crate::db::like_literal(q))).escape('\\')),
        );
    }
    Ok(query
        .order((poa::created_at.desc(), poa::id.asc()))
        .offset(offset)
        .limit(limit)
        .select(AttorneyRow::as_select())
        .load(conn)?)
}
