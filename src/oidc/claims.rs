//! The claims each scope releases (OIDC Core §5.4 plus Vhod's ESIA-like scopes), the
//! `account_level` claim, and `verified_claims` (OpenID Connect for Identity Assurance
//! 1.0) for data a verification covers.
//!
//! | scope | claims |
//! | --- | --- |
//! | `openid` | `sub`, `account_level` |
//! | `profile` | `name`, `family_name`, `given_name`, `middle_name`, `birthdate`, `gender`, `preferred_username`, `updated_at` |
//! | `email` | `email`, `email_verified` |
//! | `phone` | `phone_number`, `phone_number_verified` |
//! | `address` | `address` |
//! | `snils` | `snils` |
//! | `inn` | `inn` |
//! | `id_document` | `id_document` |
//! | `verified_claims` | `verified_claims` for the claims the other granted scopes release |

use serde_json::{Map, Value, json};

use crate::accounts::IdDocument;
use crate::db::models::identity_verification::VerificationRow;
use crate::db::models::user::UserRow;
use crate::domain::{AccountLevel, Snils, VerificationMethod, rfc3339};

/// Scopes that release personal data, in consent-page order.
pub const DATA_SCOPES: [&str; 8] =
    ["profile", "email", "phone", "address", "snils", "inn", "id_document", "verified_claims"];

/// The trust framework named in `verified_claims`.
pub const TRUST_FRAMEWORK: &str = "vhod";

/// The scope that releases a claim.
fn scope_of(claim: &str) -> &'static str {
    match claim {
        "family_name" | "given_name" | "middle_name" | "birthdate" | "gender" | "name" => "profile",
        "phone_number" => "phone",
        "email" => "email",
        "snils" => "snils",
        "inn" => "inn",
        "id_document" => "id_document",
        "address" => "address",
        _ => "openid",
    }
}

/// The value of one claim for an account, if it has one.
fn value(user: &UserRow, claim: &str) -> Option<Value> {
    let text = |v: &Option<String>| v.as_ref().map(|s| json!(s));
    match claim {
        "name" => {
            let parts: Vec<&str> =
                [&user.given_name, &user.middle_name, &user.family_name].iter().filter_map(|p| p.as_deref()).collect();
            (!parts.is_empty()).then(|| json!(parts.join(" ")))
        }
        "given_name" => text(&user.given_name),
        "family_name" => text(&user.family_name),
        "middle_name" => text(&user.middle_name),
        "birthdate" => text(&user.birthdate),
        "gender" => text(&user.gender),
        "email" => text(&user.email),
        "phone_number" => text(&user.phone_number),
        "snils" => user.snils.as_deref().and_then(|s| Snils::parse(s).ok()).map(|s| json!(s.to_string())),
        "inn" => text(&user.inn),
        "id_document" => IdDocument::of(user).map(|d| json!(d)),
        "address" => user.address.as_ref().and_then(|a| serde_json::from_str(a).ok()),
        _ => None,
    }
}

/// The `account_level` claim.
pub fn account_level(user: &UserRow) -> &'static str {
    crate::accounts::level_of(user).as_str()
}

/// The claims `scopes` release for `user`; absent values are omitted. `verification`
/// is the account's newest history record (needed only for `verified_claims`).
pub fn release(
    sub: &str,
    user: &UserRow,
    scopes: &[&str],
    verification: Option<&VerificationRow>,
) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), json!(sub));
    out.insert("account_level".into(), json!(account_level(user)));
    let granted = |scope: &str| scopes.contains(&scope);
    let put = |out: &mut Map<String, Value>, name: &str| {
        if let Some(v) = value(user, name) {
            out.insert(name.into(), v);
        }
    };
    if granted("profile") {
        for name in ["name", "given_name", "family_name", "middle_name", "birthdate", "gender"] {
            put(&mut out, name);
        }
        out.insert("preferred_username".into(), json!(user.username));
        out.insert("updated_at".into(), json!(user.updated_at));
    }
    if granted("email") && user.email.is_some() {
        put(&mut out, "email");
        out.insert("email_verified".into(), json!(user.email_verified));
    }
    if granted("phone") && user.phone_number.is_some() {
        put(&mut out, "phone_number");
        out.insert("phone_number_verified".into(), json!(user.phone_number_verified));
    }
    for scope in ["address", "snils", "inn", "id_document"] {
        if granted(scope) {
            put(&mut out, scope);
        }
    }
    if granted("verified_claims")
        && let Some(verified) = verification.and_then(|v| verified_claims(user, v, scopes))
    {
        out.insert("verified_claims".into(), verified);
    }
    out
}

/// `verified_claims` for the claims `record` verified that `scopes` release, if the
/// record is a verification still in force (data changed since voids it).
fn verified_claims(user: &UserRow, record: &VerificationRow, scopes: &[&str]) -> Option<Value> {
    let method = VerificationMethod::parse(&record.method).ok()?;
    if method.proves() == AccountLevel::Simplified {
        return None;
    }
    let names: Vec<String> = serde_json::from_str(&record.claims).ok()?;
    let claims: Map<String, Value> = names
        .iter()
        .filter(|n| scopes.contains(&scope_of(n)))
        .filter_map(|n| value(user, n).map(|v| (n.clone(), v)))
        .collect();
    if claims.is_empty() {
        return None;
    }
    let evidence: Value = serde_json::from_str(&record.evidence).unwrap_or_else(|_| json!([]));
    Some(json!({
        "verification": {
            "trust_framework": TRUST_FRAMEWORK,
            "assurance_level": record.level,
            "time": rfc3339(record.created_at),
            "verification_process": record.id,
            "evidence": evidence,
        },
        "claims": claims,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scope_releases_only_its_claims() {
        let mut user = UserRow::new("u1".into(), "+79161234567".into(), 0);
        user.family_name = Some("Фёдоров".into());
        user.given_name = Some("Алексей".into());
        user.snils = Some("11223344595".into());
        user.inn = Some("500100732259".into());
        user.account_level = "standard".into();
        let record = VerificationRow {
            id: "v1".into(),
            user_id: "u1".into(),
            level: "standard".into(),
            method: "registry".into(),
            verifier: "file:r.json".into(),
            claims: r#"["family_name","given_name","snils"]"#.into(),
            evidence: "[]".into(),
            created_at: 0,
        };
        let only_openid = release("s", &user, &["openid"], Some(&record));
        assert_eq!(only_openid.keys().collect::<Vec<_>>(), ["account_level", "sub"]);
        let snils = release("s", &user, &["openid", "snils", "verified_claims"], Some(&record));
        assert_eq!(snils["snils"], "112-233-445 95");
        assert!(snils.get("family_name").is_none() && snils.get("inn").is_none());
        assert_eq!(snils["verified_claims"]["claims"], json!({ "snils": "112-233-445 95" }));
        assert_eq!(snils["verified_claims"]["verification"]["assurance_level"], "standard");
        let changed = VerificationRow { method: "data_changed".into(), ..record };
        assert!(
            release("s", &user, &["openid", "snils", "verified_claims"], Some(&changed))
                .get("verified_claims")
                .is_none()
        );
    }
}
