//! `support_requests` and `case_events` rows.

use diesel::prelude::*;

use crate::db::schema::{case_events, support_requests};
use crate::db::{AnyConnection, DbError};

/// A sign-in problem request.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = support_requests)]
#[diesel(treat_none_as_null = true)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct RequestRow {
    /// Id.
    pub id: String,
    /// The account, when known.
    pub user_id: Option<String>,
    /// How to reach the citizen.
    pub contact: String,
    /// The problem as described.
    pub description: String,
    /// 1 first line, 2 technical, 3 escalation.
    pub tier: i64,
    /// `open` or `resolved`.
    pub status: String,
    /// `citizen` or `staff:NAME`.
    pub opened_by: String,
    /// Lowercase text searched by the list.
    pub search: String,
    /// Unix seconds.
    pub created_at: i64,
    /// When the current tier took it.
    pub tier_started_at: i64,
    /// Seconds spent in tier 1.
    pub tier1_secs: i64,
    /// Seconds spent in tier 2.
    pub tier2_secs: i64,
    /// Seconds spent in tier 3.
    pub tier3_secs: i64,
    /// When resolved.
    pub resolved_at: Option<i64>,
    /// How.
    pub resolution: Option<String>,
}

/// One step in the history of a case (application or support request).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_events)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct CaseEventRow {
    /// Sortable id.
    pub id: String,
    /// Application or request id.
    pub case_id: String,
    /// Unix seconds.
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What (`submitted`, `approved`, `escalated`, …).
    pub action: String,
    /// Free text (reason).
    pub detail: String,
}

/// Appends a history step.
pub fn add_event(conn: &mut AnyConnection, row: &CaseEventRow) -> Result<(), DbError> {
    diesel::insert_into(case_events::table).values(row).execute(conn)?;
    Ok(())
}

/// A case's history, oldest first.
pub fn events(conn: &mut AnyConnection, case_id: &str) -> Result<Vec<CaseEventRow>, DbError> {
    Ok(case_events::table
        .filter(case_events::case_id.eq(case_id))
        .order(case_events::id.asc())
        .select(CaseEventRow::as_select())
        .load(conn)?)
}

/// Inserts a request.
pub fn insert(conn: &mut AnyConnection, row: &RequestRow) -> Result<(), DbError> {
    diesel::insert_into(support_requests::table).values(row).execute(conn)?;
    Ok(())
}

/// A request by id.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<RequestRow>, DbError> {
    Ok(support_requests::table.find(id).select(RequestRow::as_select()).first(conn).optional()?)
}

/// Writes a request if it is still in tier `tier` and open; `false` otherwise.
pub fn update_from(conn: &mut AnyConnection, row: &RequestRow, tier: i64) -> Result<bool, DbError> {
    Ok(diesel::update(
        support_requests::table
            .find(&row.id)
            .filter(support_requests::tier.eq(tier))
            .filter(support_requests::status.eq("open")),
    )
    .set(row)
    .execute(conn)?
        == 1)
}

/// One page of requests, newest first.
pub fn page(
    conn: &mut AnyConnection,
    status: Option<&str>,
    q: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<RequestRow>, DbError> {
    let mut query = support_requests::table.into_boxed();
    if let Some(status) = status {
        query = query.filter(support_requests::status.eq(status.to_owned()));
    }
    if !q.is_empty() {
        let pattern = format!("%{}%", crate::db::like_literal(&q.to_lowercase()));
        query = query.filter(support_requests::search.like(pattern).escape('\\'));
    }
    Ok(query
        .order((support_requests::created_at.desc(), support_requests::id.asc()))
        .offset(offset)
        .limit(limit)
        .select(RequestRow::as_select())
        .load(conn)?)
}

/// Every resolved request (for the tier report).
pub fn resolved(conn: &mut AnyConnection) -> Result<Vec<RequestRow>, DbError> {
    Ok(support_requests::table
        .filter(support_requests::status.eq("resolved"))
        .select(RequestRow::as_select())
        .load(conn)?)
}
