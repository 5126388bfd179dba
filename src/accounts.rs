//! Citizen accounts: self-registration, identity data, the account level and its
//! history, and sign-in methods the citizen manages (phone, password).
//!
//! Levels only move through [`raise_level`] and [`lower_level`], each of which appends
//! to the account's history who verified what, when and by which method.

pub mod assisted;
pub mod federated;
pub mod registry;

use std::net::IpAddr;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::credentials::hash_password;
use crate::db::models::identity_verification::{self as history_db, VerificationRow};
use crate::db::models::user::{self as user_db, UserRow};
use crate::db::{DbError, now};
use crate::domain::{
    AccountLevel, Date, Gender, Inn, Passport, PersonName, Phone, Snils, VerificationMethod, birth_date, rfc3339,
};
use crate::jose::random_token;
use crate::login::LoginError;
use diesel::Connection;
use registry::{FieldMismatch, PersonRecord, RegistryAnswer, RegistryCheck};

/// Shortest password accepted (NIST SP 800-63B §5.1.1.2).
pub const MIN_PASSWORD_LEN: usize = 8;

/// Claims a registry match verifies.
pub const REGISTRY_CLAIMS: [&str; 6] =
    ["family_name", "given_name", "middle_name", "birthdate", "snils", "id_document"];

/// Account errors.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Input that cannot be used, per field.
    #[error("invalid input")]
    Invalid(Vec<FieldMismatch>),
    /// The request is refused as a whole (the message says why).
    #[error("{0}")]
    Refused(&'static str),
    /// A backing store failed.
    #[error("{0}")]
    Unavailable(String),
}

impl From<DbError> for AccountError {
    fn from(e: DbError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// History ids sort by creation time (milliseconds, then randomness), so "the newest
/// record" is well defined even within one second.
pub(crate) fn history_id() -> String {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    format!("{ms:013}{}", random_token(8))
}

fn field(name: &str, reason: impl Into<String>) -> FieldMismatch {
    FieldMismatch { field: name.to_owned(), reason: reason.into() }
}

/// A passport as stored in `users.id_document`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdDocument {
    /// `passport_ru`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Series, 4 digits.
    pub series: String,
    /// Number, 6 digits.
    pub number: String,
    /// Date of issue, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_date: Option<String>,
    /// Issuing authority as entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

impl IdDocument {
    /// The stored document of an account.
    pub fn of(user: &UserRow) -> Option<Self> {
        user.id_document.as_deref().and_then(|d| serde_json::from_str(d).ok())
    }
}

/// Identity data as typed into the profile form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IdentityForm {
    /// Фамилия.
    #[serde(default)]
    pub family_name: String,
    /// Имя.
    #[serde(default)]
    pub given_name: String,
    /// Отчество.
    #[serde(default)]
    pub middle_name: String,
    /// Birth date.
    #[serde(default)]
    pub birthdate: String,
    /// `female` / `male` / empty.
    #[serde(default)]
    pub gender: String,
    /// СНИЛС.
    #[serde(default)]
    pub snils: String,
    /// ИНН (optional).
    #[serde(default)]
    pub inn: String,
    /// Passport series and number.
    #[serde(default)]
    pub passport: String,
    /// Passport date of issue (optional).
    #[serde(default)]
    pub passport_issue_date: String,
    /// Passport issuer (optional).
    #[serde(default)]
    pub passport_issuer: String,
}

impl IdentityForm {
    /// The form pre-filled from an account.
    pub fn of(user: &UserRow) -> Self {
        let document = IdDocument::of(user);
        Self {
            family_name: user.family_name.clone().unwrap_or_default(),
            given_name: user.given_name.clone().unwrap_or_default(),
            middle_name: user.middle_name.clone().unwrap_or_default(),
            birthdate: user.birthdate.clone().unwrap_or_default(),
            gender: user.gender.clone().unwrap_or_default(),
            snils: user.snils.as_deref().and_then(|s| Snils::parse(s).ok()).map(|s| s.to_string()).unwrap_or_default(),
            inn: user.inn.clone().unwrap_or_default(),
            passport: document.as_ref().map(|d| format!("{} {}", d.series, d.number)).unwrap_or_default(),
            passport_issue_date: document.as_ref().and_then(|d| d.issue_date.clone()).unwrap_or_default(),
            passport_issuer: document.and_then(|d| d.issuer).unwrap_or_default(),
        }
    }
}

/// Validated identity data: what the registry check needs, plus optional extras.
#[derive(Debug, Clone)]
pub struct Identity {
    name: PersonName,
    birthdate: Date,
    gender: Option<Gender>,
    snils: Snils,
    inn: Option<Inn>,
    document: IdDocument,
}

impl Identity {
    /// Parses every field, collecting one reason per bad field.
    pub fn parse(form: &IdentityForm, today: Date) -> Result<Self, Vec<FieldMismatch>> {
        let mut errors = Vec::new();
        let optional = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_owned());
        let name = PersonName::parse(&form.family_name, &form.given_name, optional(&form.middle_name).as_deref());
        if name.is_err() {
            for (key, value) in [("family_name", &form.family_name), ("given_name", &form.given_name)] {
                if let Err(e) = PersonName::parse(value, "Иван", None) {
                    errors.push(field(key, e.0.replace("family name", "the name")));
                }
            }
            if let Some(m) = optional(&form.middle_name)
                && let Err(e) = PersonName::parse("Иванов", "Иван", Some(&m))
            {
                errors.push(field("middle_name", e.0));
            }
        }
        let birthdate = birth_date(&form.birthdate, today).map_err(|e| errors.push(field("birthdate", e.0))).ok();
        let gender = match optional(&form.gender) {
            None => None,
            Some(g) => Gender::parse(&g).map_err(|e| errors.push(field("gender", e.0))).ok(),
        };
        let snils = Snils::parse(&form.snils).map_err(|e| errors.push(field("snils", e.0))).ok();
        let inn = match optional(&form.inn) {
            None => None,
            Some(raw) => match Inn::parse(&raw) {
                Ok(inn) if inn.is_personal() => Some(inn),
                Ok(_) => {
                    errors.push(field("inn", "a person's ИНН has 12 digits (10 digits belong to organisations)"));
                    None
                }
                Err(e) => {
                    errors.push(field("inn", e.0));
                    None
                }
            },
        };
        let passport = Passport::parse(&form.passport).map_err(|e| errors.push(field("id_document", e.0))).ok();
        let issue_date = match optional(&form.passport_issue_date) {
            None => None,
            Some(raw) => match Date::parse(&raw) {
                Ok(d) if d <= today => Some(d.to_string()),
                Ok(_) => {
                    errors.push(field("passport_issue_date", "the date of issue is in the future"));
                    None
                }
                Err(e) => {
                    errors.push(field("passport_issue_date", e.0));
                    None
                }
            },
        };
        let issuer = optional(&form.passport_issuer);
        if issuer.as_ref().is_some_and(|i| i.chars().count() > 200 || i.chars().any(char::is_control)) {
            errors.push(field("passport_issuer", "at most 200 printable characters"));
        }
        match (name, birthdate, snils, passport) {
            (Ok(name), Some(birthdate), Some(snils), Some(passport)) if errors.is_empty() => Ok(Self {
                name,
                birthdate,
                gender,
                snils,
                inn,
                document: IdDocument {
                    kind: "passport_ru".into(),
                    series: passport.series,
                    number: passport.number,
                    issue_date,
                    issuer,
                },
            }),
            _ => Err(errors),
        }
    }
}

impl Identity {
    /// Writes the data into an account row, as entered.
    pub fn apply(&self, user: &mut UserRow) {
        user.family_name = Some(self.name.family.clone());
        user.given_name = Some(self.name.given.clone());
        user.middle_name = self.name.patronymic.clone();
        user.birthdate = Some(self.birthdate.to_string());
        user.gender = self.gender.map(|g| g.as_str().to_owned());
        user.snils = Some(self.snils.digits().to_owned());
        user.inn = self.inn.as_ref().map(|i| i.as_str().to_owned());
        user.id_document = Some(serde_json::to_string(&self.document).expect("a document serializes"));
    }

    /// SNILS digits.
    pub fn snils(&self) -> &str {
        self.snils.digits()
    }

    /// The identity document.
    pub fn document(&self) -> &IdDocument {
        &self.document
    }
}

/// What the registry compares, from the stored account.
fn person_record(user: &UserRow) -> Option<PersonRecord> {
    let document = IdDocument::of(user)?;
    Some(PersonRecord {
        snils: user.snils.clone()?,
        family_name: user.family_name.clone()?,
        given_name: user.given_name.clone()?,
        middle_name: user.middle_name.clone(),
        birthdate: user.birthdate.clone()?,
        passport_series: document.series,
        passport_number: document.number,
    })
}

/// The account level of a stored row (unknown values count as simplified).
pub fn level_of(user: &UserRow) -> AccountLevel {
    AccountLevel::parse(&user.account_level).unwrap_or(AccountLevel::Simplified)
}

async fn load(svc: &Services, user_id: &str) -> Result<UserRow, AccountError> {
    let id = user_id.to_owned();
    svc.db.run(move |conn| user_db::find_by_id(conn, &id)).await?.ok_or(AccountError::Refused("no such account"))
}

async fn save(svc: &Services, mut user: UserRow) -> Result<(), AccountError> {
    user.updated_at = now();
    svc.db.run(move |conn| user_db::update(conn, &user)).await?;
    Ok(())
}

/// Checks a new password's length (NIST SP 800-63B: length, not composition).
pub fn check_password(password: &SecretString) -> Result<(), AccountError> {
    let length = password.expose_secret().chars().count();
    if !(MIN_PASSWORD_LEN..=256).contains(&length) {
        return Err(AccountError::Invalid(vec![field(
            "password",
            format!("a password has {MIN_PASSWORD_LEN} to 256 characters"),
        )]));
    }
    Ok(())
}

async fn hash(password: SecretString) -> Result<String, AccountError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AccountError::Unavailable(e.to_string()))?
        .map_err(|e| AccountError::Unavailable(e.to_string()))
}

/// Creates a simplified account for a phone number the citizen just proved they hold.
/// Without a password the account signs in with SMS codes only.
pub async fn register(
    svc: &Services,
    phone: &Phone,
    password: Option<SecretString>,
    ip: Option<IpAddr>,
) -> Result<UserRow, AccountError> {
    let password_hash = match password {
        Some(p) => {
            check_password(&p)?;
            Some(hash(p).await?)
        }
        None => None,
    };
    let at = now();
    let mut row = UserRow::new(random_token(16), phone.as_str().to_owned(), at);
    row.password_hash = password_hash;
    row.phone_number = Some(phone.as_str().to_owned());
    row.phone_number_verified = true;
    let history = VerificationRow {
        id: history_id(),
        user_id: row.id.clone(),
        level: AccountLevel::Simplified.as_str().into(),
        method: "phone_code".into(),
        verifier: "sms".into(),
        claims: json!(["phone_number"]).to_string(),
        evidence: json!([]).to_string(),
        created_at: at,
    };
    let inserted = row.clone();
    svc.db
        .run(move |conn| {
            conn.transaction(|conn| {
                user_db::insert(conn, &inserted)?;
                history_db::insert(conn, &history)
            })
        })
        .await
        .map_err(|e| match e {
            DbError::Conflict => AccountError::Refused("this phone number already has an account"),
            other => other.into(),
        })?;
    svc.audit
        .record(
            AuditEvent::success(AuditKind::AccountRegistered)
                .subject(row.id.clone())
                .ip(ip)
                .detail(json!({ "level": "simplified", "password": row.password_hash.is_some() })),
        )
        .await;
    Ok(row)
}

/// Appends a history record and sets the account's level, in one transaction.
async fn set_level(
    svc: &Services,
    mut user: UserRow,
    level: AccountLevel,
    method: &str,
    verifier: &str,
    claims: &[&str],
    evidence: Value,
) -> Result<UserRow, AccountError> {
    let from = user.account_level.clone();
    user.account_level = level.as_str().to_owned();
    user.updated_at = now();
    let history = VerificationRow {
        id: history_id(),
        user_id: user.id.clone(),
        level: level.as_str().into(),
        method: method.into(),
        verifier: verifier.into(),
        claims: json!(claims).to_string(),
        evidence: evidence.to_string(),
        created_at: user.updated_at,
    };
    let row = user.clone();
    svc.db
        .run(move |conn| {
            conn.transaction(|conn| {
                user_db::update(conn, &row)?;
                history_db::insert(conn, &history)
            })
        })
        .await?;
    if let Err(e) = crate::login::Session::relevel(&svc.state, &user.id, level, svc.config.session_ttl).await {
        tracing::warn!(error = %e, "sessions keep the old level until they end");
    }
    svc.audit
        .record(
            AuditEvent::success(AuditKind::LevelChanged)
                .subject(user.id.clone())
                .actor(verifier.to_owned())
                .detail(json!({ "from": from, "to": level.as_str(), "method": method })),
        )
        .await;
    Ok(user)
}

/// Raises an account to what `method` proves (never lowers it), recording the
/// verifier, the verified claims and the evidence. Later sign-in methods (bank
/// identity providers, qualified signatures, operators) confirm accounts through this.
pub async fn raise_level(
    svc: &Services,
    user_id: &str,
    method: VerificationMethod,
    verifier: &str,
    claims: &[&str],
    evidence: Value,
) -> Result<AccountLevel, AccountError> {
    let user = load(svc, user_id).await?;
    let level = level_of(&user).max(method.proves());
    set_level(svc, user, level, method.as_str(), verifier, claims, evidence).await?;
    Ok(level)
}

/// Saves identity data as entered and starts the registry check in the background.
/// Data that a confirmation covers can only change where it was confirmed.
pub async fn submit_identity(svc: &Services, user_id: &str, form: &IdentityForm) -> Result<(), AccountError> {
    let identity = Identity::parse(form, Date::today()).map_err(AccountError::Invalid)?;
    let mut user = load(svc, user_id).await?;
    let before = person_record(&user);
    let level = level_of(&user);
    identity.apply(&mut user);
    let changed = person_record(&user) != before;
    if changed && level == AccountLevel::Confirmed {
        return Err(AccountError::Refused(
            "confirmed identity data can only be changed at a service centre or through another confirming method",
        ));
    }
    let check = changed || !matches!(user.registry_status.as_deref(), Some("matched" | "pending"));
    if check {
        user.registry_status = Some("pending".into());
        user.registry_detail = None;
    }
    if changed && level == AccountLevel::Standard {
        let method = VerificationMethod::DataChanged.as_str();
        set_level(svc, user, AccountLevel::Simplified, method, "citizen", &[], json!([])).await?;
    } else {
        save(svc, user).await?;
    }
    svc.audit
        .record(
            AuditEvent::success(AuditKind::AccountChanged)
                .subject(user_id.to_owned())
                .detail(json!({ "what": "identity" })),
        )
        .await;
    if check {
        spawn_check(svc, user_id);
    }
    Ok(())
}

/// Runs the registry check for an account in the background.
pub fn spawn_check(svc: &Services, user_id: &str) {
    let (svc, user_id) = (svc.clone(), user_id.to_owned());
    tokio::spawn(async move {
        if let Err(e) = run_check(&svc, &user_id).await {
            tracing::warn!(error = %e, "registry check did not finish; it resumes at the next start");
        }
    });
}

/// Restarts checks a stopped node left pending.
pub async fn resume_pending(svc: &Services) -> Result<usize, AccountError> {
    let pending = svc.db.run(user_db::pending_checks).await?;
    for id in &pending {
        spawn_check(svc, id);
    }
    Ok(pending.len())
}

/// Checks an account's data against the registry and records the outcome. The
/// outcome applies only if the data did not change while the registry answered.
pub async fn run_check(svc: &Services, user_id: &str) -> Result<(), AccountError> {
    let user = load(svc, user_id).await?;
    let Some(person) = person_record(&user) else { return Ok(()) };
    let (status, detail) = match &*svc.registry {
        registry::Registry::Disabled => ("unavailable", vec![]),
        registry => match registry.check(&person).await {
            Ok(RegistryAnswer::Match) => {
                let snils = person.snils.clone();
                let id = user.id.clone();
                match svc.db.run(move |conn| user_db::verified_snils_holder(conn, &snils, &id)).await? {
                    Some(_) => (
                        "mismatch",
                        vec![field(
                            "snils",
                            "already belongs to another verified account: sign in to it or ask a service centre",
                        )],
                    ),
                    None => ("matched", vec![]),
                }
            }
            Ok(RegistryAnswer::Mismatch(fields)) => ("mismatch", fields),
            Ok(RegistryAnswer::NotFound) => ("not_found", vec![]),
            Err(e) => {
                tracing::warn!(error = %e, "registry check failed");
                ("error", vec![])
            }
        },
    };
    let mut current = load(svc, user_id).await?;
    if person_record(&current).as_ref() != Some(&person) || current.registry_status.as_deref() != Some("pending") {
        return Ok(());
    }
    current.registry_status = Some(status.to_owned());
    current.registry_detail = (!detail.is_empty()).then(|| serde_json::to_string(&detail).expect("serializes"));
    let outcome = AuditEvent::success(AuditKind::RegistryChecked)
        .subject(user_id.to_owned())
        .actor(svc.registry.name())
        .detail(json!({ "status": status, "fields": detail.iter().map(|f| &f.field).collect::<Vec<_>>() }));
    svc.audit.record(outcome).await;
    if status == "matched" && level_of(&current) == AccountLevel::Simplified {
        let evidence = json!([{
            "type": "electronic_record",
            "check_details": [{ "check_method": "data", "organization": svc.registry.name() }],
            "record": { "type": "state_registry", "source": { "name": svc.registry.name() } },
            "time": rfc3339(now()),
        }]);
        set_level(
            svc,
            current,
            AccountLevel::Standard,
            VerificationMethod::Registry.as_str(),
            &svc.registry.name(),
            &REGISTRY_CLAIMS,
            evidence,
        )
        .await?;
    } else {
        save(svc, current).await?;
    }
    Ok(())
}

/// An account's level history, newest first.
pub async fn history(svc: &Services, user_id: &str) -> Result<Vec<VerificationRow>, AccountError> {
    let id = user_id.to_owned();
    Ok(svc.db.run(move |conn| history_db::for_user(conn, &id)).await?)
}

/// Sets or changes the password; a current password must be given when one exists.
pub async fn change_password(
    svc: &Services,
    user_id: &str,
    current: Option<SecretString>,
    new: SecretString,
) -> Result<(), AccountError> {
    check_password(&new)?;
    let mut user = load(svc, user_id).await?;
    if user.password_hash.is_some() {
        let Some(current) = current else {
            return Err(AccountError::Invalid(vec![field("current_password", "enter your current password")]));
        };
        match crate::login::password::verify_current(svc, &user, current).await {
            Ok(()) => {}
            Err(LoginError::Invalid) => {
                return Err(AccountError::Invalid(vec![field("current_password", "the current password is wrong")]));
            }
            Err(LoginError::Locked) => {
                return Err(AccountError::Refused("too many wrong passwords: try again in 15 minutes"));
            }
            Err(LoginError::Unavailable(e)) => return Err(AccountError::Unavailable(e)),
        }
    }
    user.password_hash = Some(hash(new).await?);
    save(svc, user).await?;
    svc.audit
        .record(
            AuditEvent::success(AuditKind::AccountChanged)
                .subject(user_id.to_owned())
                .detail(json!({ "what": "password" })),
        )
        .await;
    Ok(())
}

/// Makes `phone` (just verified by a code) the account's sign-in number.
pub async fn set_phone(svc: &Services, user_id: &str, phone: &Phone) -> Result<(), AccountError> {
    let mut user = load(svc, user_id).await?;
    user.phone_number = Some(phone.as_str().to_owned());
    user.phone_number_verified = true;
    user.updated_at = now();
    let row = user.clone();
    svc.db.run(move |conn| user_db::update(conn, &row)).await.map_err(|e| match e {
        DbError::Conflict => AccountError::Refused("this phone number already signs in to another account"),
        other => other.into(),
    })?;
    svc.audit
        .record(
            AuditEvent::success(AuditKind::AccountChanged)
                .subject(user_id.to_owned())
                .detail(json!({ "what": "phone" })),
        )
        .await;
    Ok(())
}

/// Removes the account's phone; refused when it is the only way to sign in.
pub async fn remove_phone(svc: &Services, user_id: &str) -> Result<(), AccountError> {
    let mut user = load(svc, user_id).await?;
    if user.password_hash.is_none() {
        return Err(AccountError::Refused("set a password first: the phone is your only way to sign in"));
    }
    user.phone_number = None;
    user.phone_number_verified = false;
    save(svc, user).await?;
    svc.audit
        .record(
            AuditEvent::success(AuditKind::AccountChanged)
                .subject(user_id.to_owned())
                .detail(json!({ "what": "phone_removed" })),
        )
        .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> IdentityForm {
        IdentityForm {
            family_name: "Фёдоров".into(),
            given_name: "Алексей".into(),
            middle_name: "Петрович".into(),
            birthdate: "29.02.1980".into(),
            gender: "male".into(),
            snils: "112-233-445 95".into(),
            inn: "500100732259".into(),
            passport: "4508 123456".into(),
            passport_issue_date: "2010-05-01".into(),
            passport_issuer: "ОВД".into(),
        }
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let today = Date { year: 2026, month: 12, day: 4 };
        assert!(Identity::parse(&form(), today).is_ok());
        let bad = IdentityForm {
            given_name: "Алексей2".into(),
            birthdate: "1981-02-29".into(),
            snils: "112-233-445 96".into(),
            inn: "7707083893".into(),
            passport: "4508 12345".into(),
            ..form()
        };
        let errors = Identity::parse(&bad, today).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["given_name", "birthdate", "snils", "inn", "id_document"]);
    }
}
