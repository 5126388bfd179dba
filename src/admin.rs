//! Administrative operations on clients, users and keys. The CLI calls these now and
//! the admin REST API will call the same functions, so both behave identically and are
//! audited the same way.

pub mod clients;
pub mod keys;
pub mod users;

use crate::app::Services;
use crate::domain::ClientId;
use crate::oidc::userinfo::BearerError;

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

impl From<crate::staff::StaffError> for AdminError {
    fn from(e: crate::staff::StaffError) -> Self {
        use crate::staff::StaffError;
        match e {
            StaffError::Invalid(list) => {
                Self::Invalid(list.iter().map(|m| format!("{}: {}", m.field, m.reason)).collect::<Vec<_>>().join("; "))
            }
            StaffError::NotFound(what) => Self::NotFound(what.to_owned()),
            StaffError::Refused(m) => Self::Invalid(m),
            StaffError::Forbidden => Self::Invalid("not allowed".into()),
            StaffError::Unavailable(m) => Self::Db(DbError::Unavailable(m)),
        }
    }
}

/// The scope that opens the admin API; granted only to clients marked admin.
pub const ADMIN_SCOPE: &str = "vhod:admin";

/// Who is calling the admin API.
#[derive(Debug, Clone)]
pub struct AdminIdentity {
    /// The admin client.
    pub client_id: String,
}

impl AdminIdentity {
    /// How the audit log names it.
    pub fn actor(&self) -> String {
        format!("client:{}", self.client_id)
    }
}

/// Checks a bearer token for the admin API: a live access token carrying
/// [`ADMIN_SCOPE`], issued to a client that is (still) marked admin.
pub async fn authorize(svc: &Services, token: &str) -> Result<AdminIdentity, BearerError> {
    let claims = crate::oidc::access::verify(svc, token).await?;
    if !crate::oidc::access::scopes(&claims).contains(&ADMIN_SCOPE) {
        return Err(BearerError::InsufficientScope);
    }
    let client_id = claims
        .get("client_id")
        .and_then(serde_json::Value::as_str)
        .and_then(|c| ClientId::parse(c).ok())
        .ok_or(BearerError::InvalidToken("invalid token"))?;
    let client = svc.clients.get(&client_id).await.map_err(|e| BearerError::Unavailable(e.into()))?;
    match client {
        Some(client) if client.admin => Ok(AdminIdentity { client_id: client_id.to_string() }),
        _ => Err(BearerError::InsufficientScope),
    }
}
