//! Administrative operations on clients, users and keys. The CLI calls these now and
//! the admin REST API will call the same functions, so both behave identically and are
//! audited the same way.

pub mod clients;
pub mod users;

use crate::db::DbError;
use crate::keys::KeyError;

/// Administrative errors.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The request is invalid; the message says which field and why.
    #[error("{0}")]
    Invalid(String),
    /// The named object does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The object already exists.
    #[error("{0} already exists")]
    Conflict(String),
    /// Storage failed.
    #[error(transparent)]
    Db(DbError),
    /// Key management failed.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// Hashing failed.
    #[error(transparent)]
    Credential(#[from] crate::credentials::CredentialError),
}

impl From<DbError> for AdminError {
    fn from(e: DbError) -> Self {
        Self::Db(e)
    }
}
