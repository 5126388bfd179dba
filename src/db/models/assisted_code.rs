//! `assisted_codes` rows: one-time codes handed over by staff or by post.

use diesel::prelude::*;

use crate::db::schema::assisted_codes;
use crate::db::{AnyConnection, DbError};

/// A stored code (only its keyed digest).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = assisted_codes)]
#[diesel(treat_none_as_null = true)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct CodeRow {
    /// Public reference printed next to the code.
    pub id: String,
    /// `activation`, `post` or `temporary`.
    pub kind: String,
    /// The account it is bound to.
    pub user_id: String,
    /// Keyed digest of the code.
    pub code_hash: String,
    /// Kind-specific JSON (document digest, scopes, delivery).
    pub detail: String,
    /// Who issued it (`staff:NAME` or `citizen`).
    pub issued_by: String,
    /// Where.
    pub office: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// When a post operator saw the document (post codes).
    pub presented_at: Option<i64>,
    /// Which post operator.
    pub presented_by: Option<String>,
    /// When it was redeemed.
    pub used_at: Option<i64>,
    /// Wrong entries so far.
    pub failed_attempts: i64,
    /// When it was withdrawn (a newer code of the same kind replaces it).
    pub revoked_at: Option<i64>,
}

/// Inserts a code, withdrawing the account's live codes of the same kind.
pub fn replace(conn: &mut AnyConnection, row: &CodeRow) -> Result<(), DbError> {
    conn.transaction(|conn| {
        diesel::update(
            assisted_codes::table
                .filter(assisted_codes::user_id.eq(&row.user_id))
                .filter(assisted_codes::kind.eq(&row.kind))
                .filter(assisted_codes::used_at.is_null())
                .filter(assisted_codes::revoked_at.is_null()),
        )
        .set(assisted_codes::revoked_at.eq(Some(row.created_at)))
        .execute(conn)?;
        diesel::insert_into(assisted_codes::table).values(row).execute(conn)?;
        Ok(())
    })
}

/// A code by reference.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<CodeRow>, DbError> {
    Ok(assisted_codes::table.find(id).select(CodeRow::as_select()).first(conn).optional()?)
}

/// The account's newest code of a kind that is neither used nor withdrawn.
pub fn live_for(conn: &mut AnyConnection, user_id: &str, kind: &str) -> Result<Option<CodeRow>, DbError> {
    Ok(assisted_codes::table
        .filter(assisted_codes::user_id.eq(user_id))
        .filter(assisted_codes::kind.eq(kind))
        .filter(assisted_codes::used_at.is_null())
        .filter(assisted_codes::revoked_at.is_null())
        .order(assisted_codes::created_at.desc())
        .select(CodeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Writes a code's state.
pub fn update(conn: &mut AnyConnection, row: &CodeRow) -> Result<(), DbError> {
    diesel::update(assisted_codes::table.find(&row.id)).set(row).execute(conn)?;
    Ok(())
}

/// Counts a wrong entry; returns the new count.
pub fn count_failure(conn: &mut AnyConnection, id: &str) -> Result<i64, DbError> {
    diesel::update(assisted_codes::table.find(id))
        .set(assisted_codes::failed_attempts.eq(assisted_codes::failed_attempts + 1))
        .execute(conn)?;
    Ok(assisted_codes::table.find(id).select(assisted_codes::failed_attempts).first(conn)?)
}

/// Marks a code used if it still was not; `false` when another request won.
pub fn mark_used(conn: &mut AnyConnection, id: &str, at: i64) -> Result<bool, DbError> {
    Ok(diesel::update(
        assisted_codes::table
            .find(id)
            .filter(assisted_codes::used_at.is_null())
            .filter(assisted_codes::revoked_at.is_null()),
    )
    .set(assisted_codes::used_at.eq(Some(at)))
    .execute(conn)?
        == 1)
}

/// One page of codes, newest first, optionally those whose reference starts with
/// `reference` or that belong to account `q`.
pub fn page(
    conn: &mut AnyConnection,
    q: &str,
    reference: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<CodeRow>, DbError> {
    let mut query = assisted_codes::table.into_boxed();
    if !q.is_empty() {
        let pattern = format!("{}%", crate::db::like_literal(reference));
        query =
            query.filter(assisted_codes::id.like(pattern).escape('\\').or(assisted_codes::user_id.eq(q.to_owned())));
    }
    Ok(query
        .order((assisted_codes::created_at.desc(), assisted_codes::id.asc()))
        .offset(offset)
        .limit(limit)
        .select(CodeRow::as_select())
        .load(conn)?)
}

/// Withdraws a code (no longer usable).
pub fn withdraw(conn: &mut AnyConnection, id: &str, at: i64) -> Result<(), DbError> {
    diesel::update(assisted_codes::table.find(id).filter(assisted_codes::revoked_at.is_null()))
        .set(assisted_codes::revoked_at.eq(Some(at)))
        .execute(conn)?;
    Ok(())
}

/// Marks a post code as presented if it was not yet; `false` when another clerk was first.
pub fn mark_presented(conn: &mut AnyConnection, id: &str, at: i64, by: &str, office: &str) -> Result<bool, DbError> {
    Ok(diesel::update(assisted_codes::table.find(id).filter(assisted_codes::presented_at.is_null()))
        .set((
            assisted_codes::presented_at.eq(Some(at)),
            assisted_codes::presented_by.eq(Some(by)),
            assisted_codes::office.eq(office),
        ))
        .execute(conn)?
        == 1)
}
