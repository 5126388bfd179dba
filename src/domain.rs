//! Validated newtypes. Raw strings from the wire, the CLI or the database become these
//! at the boundary ("parse, don't validate"), so deeper code never sees an unchecked
//! value. This module depends on nothing else in the crate.

mod assurance;
mod client;
mod identity;
mod scope;
mod uri;

pub use assurance::{AccountLevel, Gender, VerificationMethod};
pub use client::{AuthMethod, Client, ClientId, GrantType, SubjectType};
pub use identity::{Date, Inn, Mismatch, Passport, PersonName, Phone, Snils, birth_date, normalise_name, rfc3339};
pub use scope::{Scope, Scopes};
pub use uri::{Audience, RedirectUri};

/// A value that failed validation, with a message fit to show to whoever sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DomainError(pub String);

impl DomainError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
