//! The UserInfo endpoint (OIDC Core §5.3): a bearer access token (RFC 6750) in, the
//! claims of its granted scopes out.

use serde_json::Value;

use super::{OAuthError, subject};
use crate::app::Services;
use crate::db::models::identity_verification as history_db;
use crate::db::models::user as user_db;
use crate::domain::ClientId;

/// RFC 6750 §3.1 errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerError {
    /// No token was sent (answer with a bare challenge).
    Missing,
    /// The request is malformed (two tokens, a token in the query…).
    InvalidRequest(&'static str),
    /// The token is bad, expired or revoked.
    InvalidToken(&'static str),
    /// The token lacks the `openid` scope.
    InsufficientScope,
    /// A backing store failed.
    Unavailable(OAuthError),
}

impl From<OAuthError> for BearerError {
    fn from(e: OAuthError) -> Self {
        Self::Unavailable(e)
    }
}

/// Extracts the token from `Authorization: Bearer` or an `access_token` form field —
/// exactly one of them.
pub fn bearer_token<'a>(header: Option<&'a str>, form_token: Option<&'a str>) -> Result<&'a str, BearerError> {
    let from_header = match header {
        None => None,
        Some(value) => {
            let (scheme, token) = value.trim().split_once(' ').ok_or(BearerError::InvalidToken("malformed header"))?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(BearerError::InvalidRequest("use the Bearer scheme"));
            }
            Some(token.trim())
        }
    };
    match (from_header, form_token) {
        (Some(_), Some(_)) => Err(BearerError::InvalidRequest("send the token only once")),
        (Some(token), None) | (None, Some(token)) if !token.is_empty() => Ok(token),
        _ => Err(BearerError::Missing),
    }
}

/// The account behind a citizen's access token (with `openid`), with its claims.
pub async fn token_user(svc: &Services, token: &str) -> Result<(String, serde_json::Map<String, Value>), BearerError> {
    let claims = super::access::verify(svc, token).await?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let scopes = super::access::scopes(&claims);
    if !scopes.contains(&"openid") || text("sid").is_none() {
        return Err(BearerError::InsufficientScope);
    }
    let sub = text("sub").ok_or(BearerError::InvalidToken("invalid token"))?;
    let client_id =
        text("client_id").and_then(|c| ClientId::parse(c).ok()).ok_or(BearerError::InvalidToken("invalid token"))?;
    let client = svc
        .clients
        .get(&client_id)
        .await
        .map_err(OAuthError::from)?
        .ok_or(BearerError::InvalidToken("invalid token"))?;
    let user_id = match text("uref") {
        Some(sealed) => svc.secrets.open_reference(sealed).ok_or(BearerError::InvalidToken("invalid token"))?,
        None => sub.to_owned(),
    };
    if subject::for_client(svc, &client, &user_id) != sub {
        return Err(BearerError::InvalidToken("invalid token"));
    }
    Ok((user_id, claims))
}

/// Validates an access token and returns the claims its scopes allow.
pub async fn userinfo(svc: &Services, token: &str) -> Result<Value, BearerError> {
    let (user_id, claims) = token_user(svc, token).await?;
    let scopes = super::access::scopes(&claims);
    let sub = claims.get("sub").and_then(Value::as_str).ok_or(BearerError::InvalidToken("invalid token"))?;
    let lookup = user_id.clone();
    let user = svc
        .db
        .run(move |conn| user_db::find_by_id(conn, &lookup))
        .await
        .map_err(OAuthError::from)?
        .ok_or(BearerError::InvalidToken("the account no longer exists"))?;
    let verification = if scopes.contains(&"verified_claims") {
        let id = user.id.clone();
        let history = svc.db.run(move |conn| history_db::for_user(conn, &id)).await.map_err(OAuthError::from)?;
        history.into_iter().next()
    } else {
        None
    };
    Ok(Value::Object(super::claims::release(sub, &user, &scopes, verification.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_from_exactly_one_place() {
        assert_eq!(bearer_token(Some("Bearer abc"), None), Ok("abc"));
        assert_eq!(bearer_token(Some("bearer abc"), None), Ok("abc"));
        assert_eq!(bearer_token(None, Some("abc")), Ok("abc"));
        assert_eq!(bearer_token(None, None), Err(BearerError::Missing));
        assert!(matches!(bearer_token(Some("Bearer a"), Some("a")), Err(BearerError::InvalidRequest(_))));
        assert!(matches!(bearer_token(Some("Basic a"), None), Err(BearerError::InvalidRequest(_))));
    }
}
