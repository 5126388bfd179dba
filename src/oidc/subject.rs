//! Subject identifiers (OIDC Core §8): the account id for public clients, a sector-
//! specific HMAC for pairwise ones.

use crate::app::Services;
use crate::domain::{Client, SubjectType};

/// The `sub` that `client` sees for `user_id`.
pub fn for_client(svc: &Services, client: &Client, user_id: &str) -> String {
    match (client.subject_type, client.sector()) {
        (SubjectType::Pairwise, Some(sector)) => svc.secrets.pairwise_subject(&sector, user_id),
        _ => user_id.to_owned(),
    }
}
