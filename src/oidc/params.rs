//! Form parameters of protocol requests (`application/x-www-form-urlencoded`).
//!
//! RFC 6749 §3.1/§3.2: "Request and response parameters MUST NOT be included more than
//! once", so a repeated parameter is `invalid_request` — except those a spec lets repeat
//! (`resource`, RFC 8707 §2). Empty values count as absent (§3.1).

use std::collections::HashMap;

use super::OAuthError;

/// Parameters that may appear more than once.
const REPEATABLE: &[&str] = &["resource"];

/// Parsed form parameters.
#[derive(Debug, Default)]
pub struct Params {
    single: HashMap<String, String>,
    repeated: HashMap<String, Vec<String>>,
}

impl Params {
    /// Parses a form body, refusing duplicates and a wrong content type.
    pub fn from_form(content_type: Option<&str>, body: &[u8]) -> Result<Self, OAuthError> {
        let media_type = content_type.map(|c| c.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        if media_type.as_deref() != Some("application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request("the body must be application/x-www-form-urlencoded"));
        }
        Self::parse(body)
    }

    /// Parses `a=b&c=d`.
    pub fn parse(raw: &[u8]) -> Result<Self, OAuthError> {
        let mut params = Self::default();
        for (name, value) in url::form_urlencoded::parse(raw) {
            if value.is_empty() {
                continue;
            }
            if REPEATABLE.contains(&name.as_ref()) {
                params.repeated.entry(name.into_owned()).or_default().push(value.into_owned());
            } else if params.single.insert(name.to_string(), value.into_owned()).is_some() {
                return Err(OAuthError::invalid_request(format!("parameter `{name}` appears more than once")));
            }
        }
        Ok(params)
    }

    /// A single-valued parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.single.get(name).map(String::as_str)
    }

    /// A required single-valued parameter.
    pub fn require(&self, name: &'static str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| OAuthError::invalid_request(format!("missing parameter `{name}`")))
    }

    /// Every value of a repeatable parameter.
    pub fn all(&self, name: &str) -> &[String] {
        self.repeated.get(name).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_refused_except_resource() {
        assert!(Params::parse(b"grant_type=a&grant_type=b").is_err());
        let p = Params::parse(b"resource=https%3A%2F%2Fa&resource=https%3A%2F%2Fb&scope=x").unwrap();
        assert_eq!(p.all("resource"), ["https://a", "https://b"]);
        assert_eq!(p.get("scope"), Some("x"));
    }

    #[test]
    fn empty_values_are_absent_and_content_type_is_checked() {
        let p = Params::parse(b"scope=&grant_type=x").unwrap();
        assert_eq!(p.get("scope"), None);
        assert!(Params::from_form(Some("application/json"), b"{}").is_err());
        assert!(Params::from_form(None, b"a=b").is_err());
        assert!(Params::from_form(Some("application/x-www-form-urlencoded; charset=UTF-8"), b"a=b").is_ok());
    }
}
