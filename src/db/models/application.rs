//! `applications` and `application_files` rows.

use diesel::prelude::*;

use crate::db::schema::{application_files, applications};
use crate::db::{AnyConnection, DbError};

/// A partner's registration application.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = applications)]
#[diesel(treat_none_as_null = true)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct ApplicationRow {
    /// Id.
    pub id: String,
    /// The partner member who submitted it.
    pub partner: String,
    /// The partner's organisation.
    pub organisation: String,
    /// `submitted`, `approved` or `rejected`.
    pub status: String,
    /// The citizen's data as JSON (`accounts::IdentityForm` plus phone).
    pub form: String,
    /// Lowercase text searched by the lists.
    pub search: String,
    /// Rejection reason the partner sees.
    pub reason: Option<String>,
    /// The account an approval created.
    pub user_id: Option<String>,
    /// The operator who decided.
    pub decided_by: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// An attached scan.
#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = application_files)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct FileRow {
    /// Id.
    pub id: String,
    /// The application.
    pub application_id: String,
    /// File name as uploaded (sanitised).
    pub name: String,
    /// Sniffed type: `application/pdf`, `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// The file.
    pub content: Vec<u8>,
    /// Unix seconds.
    pub created_at: i64,
}

/// A file's metadata, without its content.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = application_files)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct FileInfo {
    /// Id.
    pub id: String,
    /// File name.
    pub name: String,
    /// Sniffed type.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
}

/// Inserts an application with its files.
pub fn insert(conn: &mut AnyConnection, row: &ApplicationRow, files: &[FileRow]) -> Result<(), DbError> {
    conn.transaction(|conn| {
        diesel::insert_into(applications::table).values(row).execute(conn)?;
        for file in files {
            diesel::insert_into(application_files::table).values(file).execute(conn)?;
        }
        Ok(())
    })
}

/// An application by id.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<ApplicationRow>, DbError> {
    Ok(applications::table.find(id).select(ApplicationRow::as_select()).first(conn).optional()?)
}

/// Decides a submitted application; `false` when it was decided meanwhile.
pub fn decide(conn: &mut AnyConnection, row: &ApplicationRow) -> Result<bool, DbError> {
    Ok(diesel::update(applications::table.find(&row.id).filter(applications::status.eq("submitted")))
        .set(row)
        .execute(conn)?
        == 1)
}

/// Metadata of an application's files.
pub fn files(conn: &mut AnyConnection, application_id: &str) -> Result<Vec<FileInfo>, DbError> {
    Ok(application_files::table
        .filter(application_files::application_id.eq(application_id))
        .order(application_files::created_at.asc())
        .select(FileInfo::as_select())
        .load(conn)?)
}

/// One file with its content.
pub fn file(conn: &mut AnyConnection, application_id: &str, id: &str) -> Result<Option<FileRow>, DbError> {
    Ok(application_files::table
        .find(id)
        .filter(application_files::application_id.eq(application_id))
        .select(FileRow::as_select())
        .first(conn)
        .optional()?)
}

/// One page of applications, newest first: only `partner`'s when given, only in
/// `status` when given, only those whose search text contains `q`.
pub fn page(
    conn: &mut AnyConnection,
    partner: Option<&str>,
    status: Option<&str>,
    q: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<ApplicationRow>, DbError> {
    let mut query = applications::table.into_boxed();
    if let Some(partner) = partner {
        query = query.filter(applications::partner.eq(partner.to_owned()));
    }
    if let Some(status) = status {
        query = query.filter(applications::status.eq(status.to_owned()));
    }
    if !q.is_empty() {
        let pattern = format!("%{}%", crate::db::like_literal(&q.to_lowercase()));
        query = query.filter(applications::search.like(pattern).escape('\\'));
    }
    Ok(query
        .order((applications::created_at.desc(), applications::id.asc()))
        .offset(offset)
        .limit(limit)
        .select(ApplicationRow::as_select())
        .load(conn)?)
}
