//! `audit_events` rows (append-only: the schema refuses UPDATE and DELETE).

use diesel::prelude::*;

use crate::db::schema::audit_events;
use crate::db::{AnyConnection, DbError};

/// An event to append.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent {
    /// Unix milliseconds.
    pub at_ms: i64,
    /// Event kind, e.g. `token.issued`.
    pub kind: String,
    /// `success` or `failure`.
    pub outcome: String,
    /// Who acted (an admin, an operator, `cli`).
    pub actor: Option<String>,
    /// The client concerned.
    pub client_id: Option<String>,
    /// The subject concerned.
    pub subject: Option<String>,
    /// The remote address.
    pub ip: Option<String>,
    /// Event details as JSON.
    pub detail: String,
}

/// A stored event.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct AuditEventRow {
    /// Sequence number.
    pub id: i64,
    /// Unix milliseconds.
    pub at_ms: i64,
    /// Event kind.
    pub kind: String,
    /// `success` or `failure`.
    pub outcome: String,
    /// Who acted.
    pub actor: Option<String>,
    /// The client concerned.
    pub client_id: Option<String>,
    /// The subject concerned.
    pub subject: Option<String>,
    /// The remote address.
    pub ip: Option<String>,
    /// Details as JSON.
    pub detail: String,
}

/// Appends events in one transaction.
pub fn insert_all(conn: &mut AnyConnection, events: &[NewAuditEvent]) -> Result<(), DbError> {
    conn.transaction(|conn| {
        for event in events {
            diesel::insert_into(audit_events::table).values(event).execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

/// The newest events, newest first.
pub fn recent(conn: &mut AnyConnection, limit: i64) -> Result<Vec<AuditEventRow>, DbError> {
    Ok(audit_events::table.order(audit_events::id.desc()).limit(limit).select(AuditEventRow::as_select()).load(conn)?)
}

/// One page of staff events (`staff.*`), newest first, optionally those whose actor
/// or subject is `q`.
pub fn staff_page(conn: &mut AnyConnection, q: &str, offset: i64, limit: i64) -> Result<Vec<AuditEventRow>, DbError> {
    let mut query = audit_events::table.filter(audit_events::kind.like("staff.%")).into_boxed();
    if !q.is_empty() {
        let q = q.to_owned();
        query = query.filter(audit_events::actor.eq(q.clone()).or(audit_events::subject.eq(q)));
    }
    Ok(query
        .order(audit_events::id.desc())
        .offset(offset)
        .limit(limit)
        .select(AuditEventRow::as_select())
        .load(conn)?)
}
