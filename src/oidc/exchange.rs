//! RFC 8693 token exchange for representatives: a client holding a representative's
//! access token asks for a token to act for a principal under a power of attorney.
//!
//! - `subject_token` is the power of attorney's id, `subject_token_type`
//!   [`POWER_OF_ATTORNEY`]: it names the principal the token will be about.
//! - `actor_token` is the representative's Vhod access token (with `openid`),
//!   `actor_token_type` `urn:ietf:params:oauth:token-type:access_token`.
//!
//! The actor token must have been issued to the calling client, by a full sign-in (not
//! temporary access). The power must be in force, name that representative and cover
//! the client and the scopes. The result is an access token with the principal as `sub` and the
//! representative as `act`, no longer-lived than the power, and no refresh token.

use std::net::IpAddr;

use serde_json::Value;

use super::issue::{Actor, UserGrant, user_tokens};
use super::params::Params;
use super::token::TokenResponse;
use super::{ErrorCode, OAuthError};
use crate::app::Services;
use crate::domain::{Client, GrantType, Scopes};

/// The token type of a power-of-attorney reference.
pub const POWER_OF_ATTORNEY: &str = "urn:vhod:params:oauth:token-type:power_of_attorney";
/// RFC 8693 §3.
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";

fn invalid_request(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequest, description)
}

fn invalid_grant(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, description)
}

/// Handles a token-exchange request.
pub async fn exchange(
    svc: &Services,
    client: &Client,
    params: &Params,
    ip: Option<IpAddr>,
) -> Result<TokenResponse, OAuthError> {
    let power_id = params.require("subject_token")?;
    if params.require("subject_token_type")? != POWER_OF_ATTORNEY {
        return Err(invalid_request("subject_token_type must be urn:vhod:params:oauth:token-type:power_of_attorney"));
    }
    let actor_token = params
        .get("actor_token")
        .ok_or_else(|| invalid_request("actor_token (the representative's access token) is required"))?;
    if params.get("actor_token_type") != Some(ACCESS_TOKEN) {
        return Err(invalid_request("actor_token_type must be urn:ietf:params:oauth:token-type:access_token"));
    }
    if params.get("requested_token_type").is_some_and(|t| t != ACCESS_TOKEN) {
        return Err(invalid_request("only access tokens can be requested"));
    }
    let (representative, claims) = super::userinfo::token_user(svc, actor_token)
        .await
        .map_err(|_| invalid_grant("actor_token is not a live access token of a signed-in citizen"))?;
    if claims.contains_key("act") {
        return Err(invalid_grant("actor_token is itself delegated"));
    }
    if claims.get("client_id").and_then(Value::as_str) != Some(client.id.as_str()) {
        return Err(invalid_grant("actor_token was issued to another client"));
    }
    if claims.get("acr").and_then(Value::as_str) == Some(super::acr::TEMPORARY) {
        return Err(invalid_grant("temporary access cannot act for anyone"));
    }
    let power = crate::staff::attorney::live(svc, power_id)
        .await?
        .filter(|p| p.representative_id == representative)
        .ok_or_else(|| invalid_grant("no power of attorney in force lets this representative act"))?;
    if !power.clients.split(' ').any(|c| c == client.id.as_str()) {
        return Err(invalid_grant("the power of attorney does not cover this client"));
    }
    let delegated = Scopes::parse(&power.scopes).unwrap_or_default();
    let scopes = match params.get("scope") {
        Some(raw) => Scopes::parse(raw).map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?,
        None => delegated.clone(),
    };
    if scopes.not_in(&delegated).next().is_some() || scopes.not_in(&client.scopes).next().is_some() {
        return Err(OAuthError::new(ErrorCode::InvalidScope, "the scope exceeds the power of attorney or the client"));
    }
    let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    let amr: Vec<String> = match claims.get("amr") {
        Some(Value::Array(list)) => list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    };
    let (sid, acr) = (text("sid"), text("acr"));
    let grant = UserGrant {
        user_id: &power.principal_id,
        scopes: &scopes,
        sid: &sid,
        auth_time: claims.get("auth_time").and_then(Value::as_i64).unwrap_or_default(),
        amr: &amr,
        acr: &acr,
        nonce: None,
        family_id: None,
        grant: GrantType::TokenExchange,
        actor: Some(Actor { user_id: &representative, power_id: &power.id }),
        until: Some(power.valid_until),
    };
    let (mut response, _) = user_tokens(svc, client, grant, ip).await?;
    response.id_token = None;
    response.issued_token_type = Some(ACCESS_TOKEN);
    Ok(response)
}
