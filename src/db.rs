//! Durable storage: diesel over PostgreSQL and SQLite through one
//! `#[derive(MultiConnection)]` enum, an r2d2 pool, and embedded paired migrations.
//!
//! Every query runs off the async workers through [`DbPool::run`]. Backend-specific
//! SQL, where unavoidable, is a `match` on [`AnyConnection`] inside this module.

mod backend;
pub mod migrations;
pub mod models;
pub mod schema;

use std::time::Duration;

pub use backend::{AnyConnection, ConnManager};

use crate::config::DatabaseUrl;

/// Storage-layer errors.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had: the database is down or the pool is exhausted.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint was violated.
    #[error("already exists")]
    Conflict,
    /// Any other query failure.
    #[error("database query failed: {0}")]
    Query(diesel::result::Error),
    /// Stored data could not be decoded into its typed form.
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl From<diesel::result::Error> for DbError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => Self::Conflict,
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(info.message().to_owned())
            }
            other => Self::Query(other),
        }
    }
}

/// A pooled connection.
pub type PooledConn = r2d2::PooledConnection<ConnManager>;

/// The connection pool; cheap to clone.
#[derive(Clone)]
pub struct DbPool {
    pool: r2d2::Pool<ConnManager>,
    backend: &'static str,
}

impl DbPool {
    /// Connects once (to report the real error, not a pool timeout), then builds the pool.
    pub fn connect(url: &DatabaseUrl, size: u32, acquire_timeout: Duration) -> Result<Self, DbError> {
        let manager = ConnManager::new(url.clone());
        let backend = manager.backend_name();
        if let DatabaseUrl::Sqlite(path) = url
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| DbError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
        }
        let first = manager.establish().map_err(|e| DbError::Unavailable(e.to_string()))?;
        let pool = r2d2::Pool::builder()
            .max_size(size)
            // No idle target: r2d2 would open connections on its own threads, and a libpq
            // connect still running when the process exits crashes in OpenSSL's exit
            // handlers (seen as SIGSEGV in short CLI runs).
            .min_idle(Some(0))
            .connection_timeout(acquire_timeout)
            .error_handler(Box::new(r2d2::LoggingErrorHandler))
            .build_unchecked(manager);
        drop(first);
        Ok(Self { pool, backend })
    }

    /// `postgres` or `sqlite`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Runs `f` with a pooled connection on the blocking thread pool, keeping the span.
    pub async fn run<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.get().map_err(|e| DbError::Unavailable(e.to_string()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| DbError::Unavailable(format!("database task failed: {e}")))?
    }

    /// Runs `f` on the calling thread (CLI and startup only).
    pub fn run_blocking<T>(&self, f: impl FnOnce(&mut AnyConnection) -> Result<T, DbError>) -> Result<T, DbError> {
        let mut conn = self.pool.get().map_err(|e| DbError::Unavailable(e.to_string()))?;
        f(&mut conn)
    }

    /// Checks that the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.run(|conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await
    }
}

/// A `LIKE` pattern piece that matches `text` literally (`%`, `_` and `\` escaped; use
/// with `.escape('\\')`).
pub fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Current time as Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
