//! Public RSA JWKs and RFC 7638 thumbprints.

use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};

use super::b64url;

/// A public RSA signing key as published in JWKS (no private members, by type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Always `RSA`.
    pub kty: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// Always `RS256`.
    pub alg: String,
    /// RFC 7638 thumbprint.
    pub kid: String,
    /// Modulus, base64url big-endian.
    pub n: String,
    /// Exponent, base64url big-endian.
    pub e: String,
}

impl Jwk {
    /// The JWK for modulus `n` and exponent `e` (big-endian bytes), with its thumbprint
    /// as `kid`.
    pub fn rsa(n: &[u8], e: &[u8]) -> Self {
        let (n, e) = (b64url(n), b64url(e));
        let kid = thumbprint(&n, &e);
        Self { kty: "RSA".into(), use_: "sig".into(), alg: "RS256".into(), kid, n, e }
    }
}

/// RFC 7638 §3.2: SHA-256 over the required members in lexicographic order, no spaces.
pub fn thumbprint(n_b64: &str, e_b64: &str) -> String {
    let canonical = format!(r#"{{"e":"{e_b64}","kty":"RSA","n":"{n_b64}"}}"#);
    b64url(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
}

/// A JWK Set (RFC 7517 §5).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of RFC 7638 §3.1.
    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(thumbprint(n, "AQAB"), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }
}
