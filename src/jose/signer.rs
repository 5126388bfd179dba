//! RS256 signing with a key parsed once.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use serde::Serialize;

use super::{JoseError, Jwk, b64url};

/// A freshly generated key: its PKCS#8 encoding (to seal and store) and public JWK.
pub struct GeneratedKey {
    /// PKCS#8 v1 DER of the private key.
    pub pkcs8: Vec<u8>,
    /// Public JWK; `kid` is its thumbprint.
    pub jwk: Jwk,
}

impl GeneratedKey {
    /// Generates an RSA-2048 key.
    pub fn rsa2048() -> Result<Self, JoseError> {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|e| JoseError::Crypto(e.to_string()))?;
        let pkcs8 = pair.as_der().map_err(|e| JoseError::Crypto(e.to_string()))?.as_ref().to_vec();
        let jwk = public_jwk(&pair);
        Ok(Self { pkcs8, jwk })
    }
}

fn public_jwk(pair: &RsaKeyPair) -> Jwk {
    let public = pair.public_key();
    Jwk::rsa(public.modulus().big_endian_without_leading_zero(), public.exponent().big_endian_without_leading_zero())
}

/// A parsed private key ready to sign.
pub struct SigningKey {
    kid: String,
    pair: RsaKeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    typ: &'a str,
    kid: &'a str,
}

impl SigningKey {
    /// Parses a PKCS#8 RSA key and checks it is the key `jwk` describes.
    pub fn from_pkcs8(pkcs8: &[u8], expected: &Jwk) -> Result<Self, JoseError> {
        let pair = RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| JoseError::Crypto(format!("bad private key: {e}")))?;
        if pair.public_modulus_len() * 8 < 2048 {
            return Err(JoseError::Crypto("RSA keys must be at least 2048 bits".into()));
        }
        let actual = public_jwk(&pair);
        if actual.kid != expected.kid {
            return Err(JoseError::Crypto(format!(
                "private key does not match its public JWK (kid {} vs {})",
                actual.kid, expected.kid
            )));
        }
        Ok(Self { kid: actual.kid, pair })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs `claims` as a compact RS256 JWS with header `typ` (`JWT`, `at+jwt`, …).
    pub fn sign<C: Serialize>(&self, typ: &str, claims: &C) -> Result<String, JoseError> {
        let header = serde_json::to_vec(&Header { alg: "RS256", typ, kid: &self.kid })
            .map_err(|e| JoseError::Crypto(e.to_string()))?;
        let payload = serde_json::to_vec(claims).map_err(|e| JoseError::Crypto(e.to_string()))?;
        let mut jws = String::with_capacity(64 + payload.len() * 4 / 3 + 344);
        jws.push_str(&b64url(&header));
        jws.push('.');
        jws.push_str(&b64url(&payload));
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.pair
            .sign(&RSA_PKCS1_SHA256, &rng, jws.as_bytes(), &mut signature)
            .map_err(|e| JoseError::Crypto(format!("signing failed: {e}")))?;
        jws.push('.');
        jws.push_str(&b64url(&signature));
        Ok(jws)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
    use base64::Engine as _;

    #[test]
    fn signed_tokens_verify_with_the_published_jwk() {
        let generated = GeneratedKey::rsa2048().unwrap();
        let key = SigningKey::from_pkcs8(&generated.pkcs8, &generated.jwk).unwrap();
        let jws = key.sign("at+jwt", &serde_json::json!({"sub": "x"})).unwrap();
        let (input, sig) = jws.rsplit_once('.').unwrap();
        let dec = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap();
        let public = RsaPublicKeyComponents { n: dec(&generated.jwk.n), e: dec(&generated.jwk.e) };
        public.verify(&RSA_PKCS1_2048_8192_SHA256, input.as_bytes(), &dec(sig)).unwrap();
        let header: serde_json::Value = serde_json::from_slice(&dec(input.split('.').next().unwrap())).unwrap();
        assert_eq!(header["kid"], generated.jwk.kid.as_str());
        assert_eq!(header["typ"], "at+jwt");
    }

    #[test]
    fn a_key_that_does_not_match_its_jwk_is_refused() {
        let a = GeneratedKey::rsa2048().unwrap();
        let b = GeneratedKey::rsa2048().unwrap();
        assert!(SigningKey::from_pkcs8(&a.pkcs8, &b.jwk).is_err());
        assert!(SigningKey::from_pkcs8(b"not a key", &a.jwk).is_err());
    }
}
