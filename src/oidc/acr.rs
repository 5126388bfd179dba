//! Authentication context classes: the account level (identity assurance) combined
//! with the sign-in strength (authentication assurance), never mixed up.
//!
//! | `acr` | account level at least | sign-in |
//! | --- | --- | --- |
//! | `urn:vhod:acr:simplified` | simplified | one factor |
//! | `urn:vhod:acr:simplified:mfa` | simplified | two factors |
//! | `urn:vhod:acr:standard` | standard | one factor |
//! | `urn:vhod:acr:standard:mfa` | standard | two factors |
//! | `urn:vhod:acr:confirmed` | confirmed | one factor |
//! | `urn:vhod:acr:confirmed:mfa` | confirmed | two factors |
//!
//! A session satisfies a class when both its level and its strength are at least the
//! class's. `amr` (RFC 8176) says which methods were used.
//!
//! [`TEMPORARY`] stands apart: a sign-in with a temporary access code from support. It
//! meets no other class, releases only restricted scopes, and a relying party that
//! does not list it in `acr_values` never receives such a sign-in.

use crate::domain::AccountLevel;

const PREFIX: &str = "urn:vhod:acr:";

/// The class of a temporary access sign-in.
pub const TEMPORARY: &str = "urn:vhod:acr:temporary";

/// How strongly this sign-in was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// One factor: a password or a one-time code.
    Single,
    /// Two factors (`mfa` in `amr`).
    Multi,
}

impl Strength {
    /// The strength `amr` shows.
    pub fn of(amr: &[String]) -> Self {
        if amr.iter().any(|m| m == "mfa") { Self::Multi } else { Self::Single }
    }
}

/// One class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acr {
    /// Minimum account level.
    pub level: AccountLevel,
    /// Minimum strength.
    pub strength: Strength,
}

impl Acr {
    /// Parses a class name; unknown values are `None` (acr_values is a voluntary
    /// request, OIDC Core §3.1.2.1, so they are ignored).
    pub fn parse(raw: &str) -> Option<Self> {
        let rest = raw.strip_prefix(PREFIX)?;
        let (level, strength) = match rest.strip_suffix(":mfa") {
            Some(level) => (level, Strength::Multi),
            None => (rest, Strength::Single),
        };
        Some(Self { level: AccountLevel::parse(level).ok()?, strength })
    }

    /// The class name.
    pub fn name(self) -> String {
        match self.strength {
            Strength::Single => format!("{PREFIX}{}", self.level.as_str()),
            Strength::Multi => format!("{PREFIX}{}:mfa", self.level.as_str()),
        }
    }

    /// Whether a session at `self` meets `wanted`.
    pub fn meets(self, wanted: Acr) -> bool {
        self.level >= wanted.level && self.strength >= wanted.strength
    }

    /// Every class (advertised in discovery).
    pub fn all() -> Vec<String> {
        AccountLevel::ALL
            .iter()
            .flat_map(|&level| [Strength::Single, Strength::Multi].map(|strength| Acr { level, strength }.name()))
            .chain(std::iter::once(TEMPORARY.to_owned()))
            .collect()
    }
}

/// What a session can do about `acr_values`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Met: assert this class (the first requested one met, else the session's own).
    Met(String),
    /// A second factor would meet a requested class.
    StepUp,
    /// No sign-in can help: the account level is too low.
    LevelTooLow,
}

/// What `acr_values` mean for a temporary access session: met when the relying party
/// accepts [`TEMPORARY`] or asks for no class Vhod knows.
pub fn evaluate_temporary(requested: &[String]) -> Outcome {
    let known = requested.iter().any(|r| r == TEMPORARY || Acr::parse(r).is_some());
    if !known || requested.iter().any(|r| r == TEMPORARY) {
        Outcome::Met(TEMPORARY.to_owned())
    } else {
        Outcome::LevelTooLow
    }
}

/// Decides what `acr_values` mean for a session at `have`.
pub fn evaluate(have: Acr, requested: &[String]) -> Outcome {
    let known: Vec<(String, Acr)> = requested.iter().filter_map(|r| Acr::parse(r).map(|a| (r.clone(), a))).collect();
    if known.is_empty() {
        return Outcome::Met(have.name());
    }
    if let Some((name, _)) = known.iter().find(|(_, wanted)| have.meets(*wanted)) {
        return Outcome::Met(name.clone());
    }
    let stronger = Acr { strength: Strength::Multi, ..have };
    if known.iter().any(|(_, wanted)| stronger.meets(*wanted)) { Outcome::StepUp } else { Outcome::LevelTooLow }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_round_trip_and_levels_and_strengths_both_count() {
        for name in Acr::all().into_iter().filter(|n| n != TEMPORARY) {
            assert_eq!(Acr::parse(&name).unwrap().name(), name);
        }
        assert_eq!(Acr::all().len(), 7);
        assert_eq!(Acr::parse("urn:vhod:acr:trusted"), None);
        let standard_pwd = Acr { level: AccountLevel::Standard, strength: Strength::Single };
        assert_eq!(evaluate(standard_pwd, &ask(&[])), Outcome::Met("urn:vhod:acr:standard".into()));
        assert_eq!(evaluate(standard_pwd, &ask(&["1", "2"])), Outcome::Met("urn:vhod:acr:standard".into()));
        assert_eq!(
            evaluate(standard_pwd, &ask(&["urn:vhod:acr:confirmed", "urn:vhod:acr:simplified"])),
            Outcome::Met("urn:vhod:acr:simplified".into()),
            "the first requested class met is asserted"
        );
        assert_eq!(evaluate(standard_pwd, &ask(&["urn:vhod:acr:simplified:mfa"])), Outcome::StepUp);
        assert_eq!(evaluate(standard_pwd, &ask(&["urn:vhod:acr:confirmed"])), Outcome::LevelTooLow);
        assert_eq!(evaluate(standard_pwd, &ask(&["urn:vhod:acr:confirmed:mfa"])), Outcome::LevelTooLow);
        assert_eq!(Strength::of(&ask(&["pwd", "sms", "mfa"])), Strength::Multi);
    }
}
