//! Scope tokens (RFC 6749 §3.3).

use std::fmt;

use super::DomainError;

/// One scope token: `1*( %x21 / %x23-5B / %x5D-7E )`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(String);

impl Scope {
    /// Parses one scope token.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let ok = |b: u8| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b);
        if raw.is_empty() || raw.len() > 128 || !raw.bytes().all(ok) {
            return Err(DomainError::new(format!("`{raw}` is not a valid scope token")));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A set of scopes in first-seen order, without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// Parses a space-delimited scope list; empty input gives an empty set.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.contains(|c: char| c != ' ' && c.is_whitespace()) {
            return Err(DomainError::new("scopes must be separated by single spaces"));
        }
        let mut out = Vec::new();
        for token in raw.split(' ').filter(|t| !t.is_empty()) {
            let scope = Scope::parse(token)?;
            if !out.contains(&scope) {
                out.push(scope);
            }
        }
        Ok(Self(out))
    }

    /// Builds a set from individual tokens.
    pub fn from_tokens<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Result<Self, DomainError> {
        let mut out = Vec::new();
        for token in tokens {
            let scope = Scope::parse(token)?;
            if !out.contains(&scope) {
                out.push(scope);
            }
        }
        Ok(Self(out))
    }

    /// Whether no scope is present.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `scope` is present.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s.0 == scope)
    }

    /// The scopes of `self` that `allowed` does not contain.
    pub fn not_in<'a>(&'a self, allowed: &'a Scopes) -> impl Iterator<Item = &'a Scope> + 'a {
        self.0.iter().filter(|s| !allowed.contains(s.as_str()))
    }

    /// Iterates the scopes.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&s.0)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_dedupe_and_print() {
        let s = Scopes::parse("read write read").unwrap();
        assert_eq!(s.to_string(), "read write");
        assert!(Scopes::parse("").unwrap().is_empty());
        assert!(Scopes::parse("a\"b").is_err());
        assert!(Scopes::parse("a\\b").is_err());
        assert!(Scopes::parse("a\tb").is_err());
        assert!(Scopes::parse("чтение").is_err());
    }

    #[test]
    fn not_in_lists_the_extra_scopes() {
        let allowed = Scopes::parse("a b").unwrap();
        let asked = Scopes::parse("a c d").unwrap();
        let extra: Vec<_> = asked.not_in(&allowed).map(Scope::as_str).collect();
        assert_eq!(extra, ["c", "d"]);
    }
}
