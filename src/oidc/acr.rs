//! Authentication context classes Vhod can assert, weakest first. A relying party asks
//! for them with `acr_values`; `amr` (RFC 8176) says which methods were used.

/// One factor: a password or a one-time code.
pub const LOW: &str = "urn:vhod:acr:low";
/// Two factors, or one strong factor (passkey with user verification).
pub const SUBSTANTIAL: &str = "urn:vhod:acr:substantial";
/// A strong factor on a confirmed account (qualified signature, bank, in person).
pub const HIGH: &str = "urn:vhod:acr:high";

/// Every class, weakest first.
pub const ALL: [&str; 3] = [LOW, SUBSTANTIAL, HIGH];

/// Classes the methods enabled today can reach (advertised in discovery).
pub const SUPPORTED: [&str; 1] = [LOW];

/// The rank of a class; unknown values rank `None` and are ignored (acr_values is a
/// voluntary request, OIDC Core §3.1.2.1).
pub fn rank(acr: &str) -> Option<usize> {
    ALL.iter().position(|a| *a == acr)
}

/// The weakest class among the known requested ones: any of them satisfies the request.
pub fn required(requested: &[String]) -> Option<usize> {
    requested.iter().filter_map(|a| rank(a)).min()
}

/// Whether a session at `have` satisfies `requested`.
pub fn satisfies(have: &str, requested: &[String]) -> bool {
    match required(requested) {
        None => true,
        Some(needed) => rank(have).is_some_and(|r| r >= needed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_requested_known_class_at_or_below_the_session_satisfies() {
        let ask = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(satisfies(LOW, &ask(&[])));
        assert!(satisfies(LOW, &ask(&["1", "2"])), "unknown values are ignored");
        assert!(satisfies(LOW, &ask(&[HIGH, LOW])));
        assert!(!satisfies(LOW, &ask(&[SUBSTANTIAL])));
        assert!(satisfies(HIGH, &ask(&[SUBSTANTIAL])));
    }
}
