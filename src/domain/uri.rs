//! Redirect URIs and resource (audience) identifiers.

use std::fmt;

use url::Url;

use super::DomainError;

/// A registered redirect URI: absolute, no fragment, `https` — or `http` only on a
/// loopback host (RFC 8252 §7.3) — or a private-use scheme for native apps (§7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Parses a redirect URI for registration; the stored form is the input unchanged,
    /// because the authorization endpoint compares exactly.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.len() > 2048 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(DomainError::new("redirect URI must be at most 2048 characters without spaces"));
        }
        let url =
            Url::parse(raw).map_err(|e| DomainError::new(format!("redirect URI `{raw}` is not absolute: {e}")))?;
        if url.fragment().is_some() {
            return Err(DomainError::new(format!("redirect URI `{raw}` must not have a fragment")));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(DomainError::new(format!("redirect URI `{raw}` must use https (http only on loopback)")));
            }
            "javascript" | "data" | "file" | "vbscript" => {
                return Err(DomainError::new(format!("redirect URI scheme of `{raw}` is not allowed")));
            }
            scheme if scheme.contains('.') => {}
            _ => {
                return Err(DomainError::new(format!(
                    "redirect URI `{raw}` must use https, loopback http, or a reverse-domain private scheme"
                )));
            }
        }
        Ok(Self(raw.to_owned()))
    }

    /// The URI as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An audience a token is meant for: an absolute URI without fragment (RFC 8707 §2),
/// or a plain identifier for audiences configured by an operator.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Audience(String);

impl Audience {
    /// Parses a `resource` parameter: it must be an absolute URI without fragment.
    pub fn parse_resource(raw: &str) -> Result<Self, DomainError> {
        let url = Url::parse(raw).map_err(|_| DomainError::new(format!("resource `{raw}` is not an absolute URI")))?;
        if url.fragment().is_some() {
            return Err(DomainError::new(format!("resource `{raw}` must not have a fragment")));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Parses an audience an operator configures for a client: a resource URI or a
    /// plain identifier of visible ASCII.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.contains("://") {
            return Self::parse_resource(raw);
        }
        if raw.is_empty() || raw.len() > 256 || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(DomainError::new(format!("audience `{raw}` must be a URI or visible ASCII without spaces")));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The audience value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_follow_rfc_8252_rules() {
        for good in [
            "https://rp.example.ru/cb",
            "http://127.0.0.1:8000/cb",
            "http://localhost/cb",
            "http://[::1]/cb",
            "ru.gosuslugi.app:/callback",
        ] {
            assert!(RedirectUri::parse(good).is_ok(), "{good} must be accepted");
        }
        for bad in [
            "/relative",
            "http://rp.example.ru/cb",
            "https://rp.example.ru/cb#frag",
            "javascript:alert(1)",
            "myapp:/cb",
        ] {
            assert!(RedirectUri::parse(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn resources_must_be_absolute_without_fragment() {
        assert!(Audience::parse_resource("https://api.example.ru/").is_ok());
        assert!(Audience::parse_resource("api").is_err());
        assert!(Audience::parse_resource("https://api.example.ru/#x").is_err());
        assert!(Audience::parse("payments-api").is_ok());
        assert!(Audience::parse("two words").is_err());
    }
}
