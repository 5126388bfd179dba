//! Checking access tokens Vhod issued (userinfo, introspection, the admin API): RS256
//! signature by a published key, `typ: at+jwt`, issuer, expiry, and not revoked.

use serde_json::{Map, Value};

use super::code_grant::is_revoked;
use super::userinfo::BearerError;
use crate::app::Services;
use crate::db::now;

/// The claims of a live access token.
pub async fn verify(svc: &Services, token: &str) -> Result<Map<String, Value>, BearerError> {
    let verified = svc.keys.current().verify(token).map_err(|_| BearerError::InvalidToken("invalid token"))?;
    if verified.typ.as_deref() != Some("at+jwt") {
        return Err(BearerError::InvalidToken("not an access token"));
    }
    let claims = verified.claims;
    if claims.get("iss").and_then(Value::as_str) != Some(svc.config.issuer.as_str()) {
        return Err(BearerError::InvalidToken("invalid token"));
    }
    if claims.get("exp").and_then(Value::as_i64).is_none_or(|exp| exp <= now()) {
        return Err(BearerError::InvalidToken("the token has expired"));
    }
    let jti = claims.get("jti").and_then(Value::as_str).ok_or(BearerError::InvalidToken("invalid token"))?;
    if is_revoked(svc, jti).await? {
        return Err(BearerError::InvalidToken("the token was revoked"));
    }
    if let Some(power) = claims.get("poa").and_then(Value::as_str) {
        // A delegated token ends the moment its power of attorney does.
        let live = crate::staff::attorney::live(svc, power).await.map_err(|e| BearerError::Unavailable(e.into()))?;
        if live.is_none() {
            return Err(BearerError::InvalidToken("the power of attorney is no longer in force"));
        }
    }
    Ok(claims)
}

/// The scopes of verified claims.
pub fn scopes(claims: &Map<String, Value>) -> Vec<&str> {
    claims.get("scope").and_then(Value::as_str).map(|s| s.split(' ').collect()).unwrap_or_default()
}
