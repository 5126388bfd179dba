//! Embedded migrations, one directory per backend with the same version names.

use diesel::migration::MigrationSource;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{AnyConnection, DbError, DbPool};

/// PostgreSQL migrations.
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// SQLite migrations.
pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Applies the pending migrations written for the connected backend; returns the
/// versions applied.
pub fn run_pending(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        AnyConnection::Postgres(c) => c.run_pending_migrations(POSTGRES),
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE),
    }
    .map_err(|e| DbError::Unavailable(format!("migration failed: {e}")))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Applies pending migrations through the pool.
pub fn migrate(pool: &DbPool) -> Result<Vec<String>, DbError> {
    pool.run_blocking(run_pending)
}

/// Migration names embedded for one backend, in order.
pub fn names<DB: diesel::backend::Backend>(source: &EmbeddedMigrations) -> Vec<String> {
    MigrationSource::<DB>::migrations(source)
        .map(|list| list.iter().map(|m| m.name().to_string()).collect())
        .unwrap_or_default()
}
