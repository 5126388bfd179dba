//! `signing_keys` rows.

use diesel::prelude::*;

use crate::db::schema::signing_keys;
use crate::db::{AnyConnection, DbError};

/// A stored signing key.
#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct SigningKeyRow {
    /// RFC 7638 thumbprint.
    pub kid: String,
    /// JWS algorithm (`RS256`).
    pub alg: String,
    /// Public JWK as JSON.
    pub public_jwk: String,
    /// Nonce ‖ AES-256-GCM ciphertext of the PKCS#8 private key.
    pub private_key: Vec<u8>,
    /// Which key-encryption key sealed it.
    pub kek_id: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds from which it signs.
    pub activates_at: i64,
}

impl std::fmt::Debug for SigningKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRow")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("kek_id", &self.kek_id)
            .field("activates_at", &self.activates_at)
            .finish_non_exhaustive()
    }
}

/// All keys, oldest activation first.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<SigningKeyRow>, DbError> {
    Ok(signing_keys::table
        .order((signing_keys::activates_at, signing_keys::created_at))
        .select(SigningKeyRow::as_select())
        .load(conn)?)
}

/// Stores a new key.
pub fn insert(conn: &mut AnyConnection, row: &SigningKeyRow) -> Result<(), DbError> {
    diesel::insert_into(signing_keys::table).values(row).execute(conn)?;
    Ok(())
}
