//! Identity assurance: how well an account's owner is known. Kept apart from how a
//! sign-in was done (`amr`); `acr` names combinations of the two.

use std::fmt;

use super::DomainError;

/// The account level (ESIA's упрощённая / стандартная / подтверждённая).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountLevel {
    /// A verified phone number (and maybe a password); nothing else is known.
    Simplified,
    /// Name, birth date, SNILS and passport entered and matched against the registry.
    Standard,
    /// Identity proven by a method that sees the person or their credentials: a bank
    /// identity provider with verified passport data, a qualified electronic signature,
    /// or an operator's in-person document check.
    Confirmed,
}

impl AccountLevel {
    /// Every level, lowest first.
    pub const ALL: [Self; 3] = [Self::Simplified, Self::Standard, Self::Confirmed];

    /// The stored and published name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simplified => "simplified",
            Self::Standard => "standard",
            Self::Confirmed => "confirmed",
        }
    }

    /// Parses a stored name.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == raw)
            .ok_or_else(|| DomainError::new(format!("unknown account level `{raw}`")))
    }
}

impl fmt::Display for AccountLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How identity data was verified (the `method` of a verification record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerificationMethod {
    /// Matched against a state registry (SNILS, passport).
    Registry,
    /// Verified data from a bank identity provider.
    Bank,
    /// A qualified electronic signature.
    QualifiedSignature,
    /// An operator checked the document in person.
    InPerson,
    /// The citizen changed verified data, which voids earlier verification.
    DataChanged,
}

impl VerificationMethod {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registry => "registry",
            Self::Bank => "bank",
            Self::QualifiedSignature => "qes",
            Self::InPerson => "in_person",
            Self::DataChanged => "data_changed",
        }
    }

    /// Parses a stored name.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        [Self::Registry, Self::Bank, Self::QualifiedSignature, Self::InPerson, Self::DataChanged]
            .into_iter()
            .find(|m| m.as_str() == raw)
            .ok_or_else(|| DomainError::new(format!("unknown verification method `{raw}`")))
    }

    /// The highest level this method can prove.
    pub fn proves(self) -> AccountLevel {
        match self {
            Self::Registry => AccountLevel::Standard,
            Self::Bank | Self::QualifiedSignature | Self::InPerson => AccountLevel::Confirmed,
            Self::DataChanged => AccountLevel::Simplified,
        }
    }
}

/// Gender as OIDC Core publishes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    /// `female`.
    Female,
    /// `male`.
    Male,
}

impl Gender {
    /// Parses `female`/`male` (also `f`/`m`, `ж`/`м`).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw.trim().to_lowercase().as_str() {
            "female" | "f" | "ж" => Ok(Self::Female),
            "male" | "m" | "м" => Ok(Self::Male),
            _ => Err(DomainError::new("gender is `female` or `male`")),
        }
    }

    /// The OIDC claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Female => "female",
            Self::Male => "male",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_and_round_trip() {
        assert!(AccountLevel::Simplified < AccountLevel::Standard && AccountLevel::Standard < AccountLevel::Confirmed);
        for level in AccountLevel::ALL {
            assert_eq!(AccountLevel::parse(level.as_str()), Ok(level));
        }
        assert!(AccountLevel::parse("trusted").is_err());
        assert_eq!(VerificationMethod::Registry.proves(), AccountLevel::Standard);
        assert_eq!(VerificationMethod::parse("in_person").unwrap().proves(), AccountLevel::Confirmed);
        assert_eq!(Gender::parse(" Ж ").unwrap(), Gender::Female);
        assert!(Gender::parse("x").is_err());
    }
}
