//! Verifying compact RS256 JWS signed by one of our own published keys.

use std::collections::HashMap;

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{JoseError, Jwk};

/// Public keys by `kid`.
#[derive(Default)]
pub struct Verifier {
    keys: HashMap<String, RsaPublicKeyComponents<Vec<u8>>>,
}

/// A token whose signature checked out.
#[derive(Debug)]
pub struct Verified {
    /// The `typ` header.
    pub typ: Option<String>,
    /// The claims.
    pub claims: Map<String, Value>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
}

fn decode(part: &str) -> Result<Vec<u8>, JoseError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JoseError::Crypto("malformed base64url".into()))
}

impl Verifier {
    /// A verifier for `jwks`.
    pub fn new<'a>(jwks: impl IntoIterator<Item = &'a Jwk>) -> Result<Self, JoseError> {
        let mut keys = HashMap::new();
        for jwk in jwks {
            keys.insert(jwk.kid.clone(), RsaPublicKeyComponents { n: decode(&jwk.n)?, e: decode(&jwk.e)? });
        }
        Ok(Self { keys })
    }

    /// Checks the header (`alg` RS256, a known `kid`) and the signature; claims are not
    /// interpreted here.
    pub fn verify(&self, jws: &str) -> Result<Verified, JoseError> {
        let bad = |m: &str| JoseError::Crypto(m.to_owned());
        let mut parts = jws.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("not a compact JWS"));
        };
        let parsed: Header = serde_json::from_slice(&decode(header)?).map_err(|_| bad("malformed header"))?;
        if parsed.alg != "RS256" {
            return Err(bad("unexpected algorithm"));
        }
        let key = parsed.kid.as_deref().and_then(|kid| self.keys.get(kid)).ok_or_else(|| bad("unknown key"))?;
        let signing_input = &jws[..header.len() + 1 + payload.len()];
        key.verify(&RSA_PKCS1_2048_8192_SHA256, signing_input.as_bytes(), &decode(signature)?)
            .map_err(|_| bad("bad signature"))?;
        let claims: Map<String, Value> =
            serde_json::from_slice(&decode(payload)?).map_err(|_| bad("claims are not a JSON object"))?;
        Ok(Verified { typ: parsed.typ, claims })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{GeneratedKey, SigningKey};

    #[test]
    fn own_tokens_verify_and_tampering_is_detected() {
        let generated = GeneratedKey::rsa2048().unwrap();
        let key = SigningKey::from_pkcs8(&generated.pkcs8, &generated.jwk).unwrap();
        let verifier = Verifier::new([&generated.jwk]).unwrap();
        let jws = key.sign("at+jwt", &serde_json::json!({"sub": "u"})).unwrap();
        let verified = verifier.verify(&jws).unwrap();
        assert_eq!(verified.typ.as_deref(), Some("at+jwt"));
        assert_eq!(verified.claims["sub"], "u");

        let (head, rest) = jws.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let forged_payload = b64(&serde_json::json!({"sub": "admin"}).to_string());
        assert!(verifier.verify(&format!("{head}.{forged_payload}.{sig}")).is_err());
        assert!(verifier.verify("a.b").is_err());
        assert!(verifier.verify(&format!("{}.{forged_payload}.", b64(r#"{"alg":"none"}"#))).is_err());
        let other = GeneratedKey::rsa2048().unwrap();
        assert!(Verifier::new([&other.jwk]).unwrap().verify(&jws).is_err());
    }

    fn b64(s: &str) -> String {
        crate::jose::b64url(s.as_bytes())
    }
}
