//! The two-backend connection type and a pool manager that chooses the backend by URL
//! scheme. diesel's own `MultiConnection::establish` tries each variant in turn and
//! lets SQLite accept any string as a file name, so it is never used.

use diesel::connection::SimpleConnection;
use diesel::{Connection, ConnectionError};
use secrecy::ExposeSecret;

use crate::config::DatabaseUrl;

/// A connection to whichever backend the configuration names.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL (scale-out).
    Postgres(diesel::PgConnection),
    /// SQLite (embedded default).
    Sqlite(diesel::SqliteConnection),
}

/// SQLite settings applied to every new connection.
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";

/// r2d2 manager that opens the configured backend and nothing else.
pub struct ConnManager {
    url: DatabaseUrl,
}

impl ConnManager {
    /// A manager for `url`.
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    /// `postgres` or `sqlite`.
    pub fn backend_name(&self) -> &'static str {
        match self.url {
            DatabaseUrl::Postgres(_) => "postgres",
            DatabaseUrl::Sqlite(_) => "sqlite",
        }
    }

    /// Opens one connection.
    pub fn establish(&self) -> Result<AnyConnection, ConnectionError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                diesel::PgConnection::establish(url.expose_secret()).map(AnyConnection::Postgres)
            }
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_str().ok_or_else(|| ConnectionError::BadConnection("non-UTF-8 path".into()))?;
                let mut conn = diesel::SqliteConnection::establish(path)?;
                conn.batch_execute(SQLITE_PRAGMAS).map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnManager {
    type Connection = AnyConnection;
    type Error = ConnectionError;

    fn connect(&self) -> Result<AnyConnection, ConnectionError> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), ConnectionError> {
        conn.batch_execute("SELECT 1").map_err(ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        match conn {
            AnyConnection::Postgres(c) => diesel::r2d2::R2D2Connection::is_broken(c),
            AnyConnection::Sqlite(c) => diesel::r2d2::R2D2Connection::is_broken(c),
        }
    }
}
