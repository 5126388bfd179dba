//! `private_key_jwt` client authentication (RFC 7523 §2.2, §3; OIDC Core §9): a JWT
//! signed with a key from the client's registered JWK Set, `iss` = `sub` = client id,
//! `aud` naming this server, a short life, and a `jti` that is accepted only once.

use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::app::Services;
use crate::db::now;
use crate::domain::Client;
use crate::state::EphemeralStore;

/// `client_assertion_type` for JWT client authentication.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Algorithms accepted for client assertions.
pub const ALGORITHMS: [Algorithm; 3] = [Algorithm::RS256, Algorithm::PS256, Algorithm::ES256];
/// Longest accepted assertion lifetime.
const MAX_LIFETIME_SECS: i64 = 600;

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    exp: i64,
    jti: Option<String>,
}

/// Why an assertion was refused (audited, never shown in detail).
#[derive(Debug)]
pub struct Refused(pub &'static str);

/// The `sub` of an assertion, unverified: only to find which client to check it for.
pub fn claimed_client(assertion: &str) -> Option<String> {
    // Read before verification only to pick the client whose keys then verify it.
    jsonwebtoken::dangerous::insecure_decode::<Claims>(assertion).ok().map(|d| d.claims.sub)
}

/// Verifies an assertion for `client`.
pub async fn verify(svc: &Services, client: &Client, assertion: &str) -> Result<(), Refused> {
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| Refused("malformed assertion"))?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(Refused("assertion algorithm not accepted"));
    }
    let jwks = client_keys(svc, client).await?;
    let jwk = match &header.kid {
        Some(kid) => jwks.find(kid),
        None if jwks.keys.len() == 1 => jwks.keys.first(),
        None => None,
    }
    .ok_or(Refused("no registered key matches the assertion"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| Refused("registered key is unusable"))?;
    let issuer = &svc.config.issuer;
    let audiences = [
        issuer.as_str().to_owned(),
        issuer.endpoint("/token"),
        issuer.endpoint("/introspect"),
        issuer.endpoint("/revoke"),
    ];
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&audiences);
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    validation.leeway = 30;
    let claims = jsonwebtoken::decode::<Claims>(assertion, &key, &validation)
        .map_err(|_| Refused("assertion signature, audience or expiry is invalid"))?
        .claims;
    if claims.iss != client.id.as_str() || claims.sub != client.id.as_str() {
        return Err(Refused("assertion iss and sub must be the client id"));
    }
    let remaining = claims.exp - now();
    if remaining > MAX_LIFETIME_SECS {
        return Err(Refused("assertion lives too long"));
    }
    let jti = claims.jti.filter(|j| !j.is_empty() && j.len() <= 256).ok_or(Refused("assertion has no jti"))?;
    let key = format!("assertion:{}:{jti}", client.id);
    let ttl = Duration::from_secs((remaining.max(0) + 60) as u64);
    let fresh = svc.state.put_new(&key, b"1", ttl).await.map_err(|_| Refused("state store unavailable"))?;
    if !fresh {
        return Err(Refused("assertion replayed"));
    }
    Ok(())
}

async fn client_keys(svc: &Services, client: &Client) -> Result<JwkSet, Refused> {
    if let Some(inline) = &client.jwks {
        return serde_json::from_str(inline).map_err(|_| Refused("registered jwks is unreadable"));
    }
    let uri = client.jwks_uri.as_deref().ok_or(Refused("client has no keys"))?;
    svc.clients.remote_jwks(&svc.outbound, uri).await.ok_or(Refused("client jwks_uri could not be fetched"))
}
