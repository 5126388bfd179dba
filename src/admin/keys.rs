//! Signing-key administration shared by the CLI and the admin API.

use serde_json::json;

use super::AdminError;
use crate::audit::{Audit, AuditEvent, AuditKind};
use crate::keys::{KeyInfo, KeyService};

/// Generates the next key (published at once; signing after pre-publication, or now).
pub async fn rotate(keys: &KeyService, audit: &Audit, actor: &str, immediately: bool) -> Result<KeyInfo, AdminError> {
    let key = keys.rotate(immediately).await?;
    audit
        .record(
            AuditEvent::success(AuditKind::KeyRotated)
                .actor(actor)
                .detail(json!({ "kid": key.kid, "activates_at": key.activates_at, "immediately": immediately })),
        )
        .await;
    Ok(key)
}
