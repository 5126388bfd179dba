//! Accounts behind upstream identity providers. The first sign-in creates an account
//! whose level follows the provider's trust (verified bank data confirms; Yandex and VK
//! give simplified), or links an existing one when verified identifiers match (SNILS
//! or passport with the person's data from a provider that verifies it, or a verified
//! phone). An
//! e-mail address never links. Creating the account, its link and its history is one
//! transaction: a failure leaves nothing half made.

use diesel::Connection;
use serde_json::json;

use super::registry::FieldMismatch;
use super::{AccountError, IdDocument, history_id, level_of};
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::config::ProviderConfig;
use crate::db::models::federated_identity::{self as link_db, LinkRow};
use crate::db::models::identity_verification::{self as history_db, VerificationRow};
use crate::db::models::user::{self as user_db, UserRow};
use crate::db::{DbError, now};
use crate::domain::{AccountLevel, Phone, VerificationMethod, normalise_name};
use crate::jose::random_token;

/// What an upstream provider says about the citizen.
#[derive(Debug, Clone, Default)]
pub struct UpstreamIdentity {
    /// The provider's stable subject.
    pub subject: String,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Patronymic.
    pub middle_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthdate: Option<String>,
    /// `female` / `male`.
    pub gender: Option<String>,
    /// Phone, E.164.
    pub phone: Option<Phone>,
    /// Whether the provider verified the phone.
    pub phone_verified: bool,
    /// E-mail (never used to link).
    pub email: Option<String>,
    /// СНИЛС digits.
    pub snils: Option<String>,
    /// ИНН.
    pub inn: Option<String>,
    /// Passport.
    pub passport: Option<IdDocument>,
    /// Methods the provider reports (RFC 8176 values only).
    pub amr: Vec<String>,
}

impl UpstreamIdentity {
    /// Whether the data is enough to confirm an account (names, birth date, SNILS, passport).
    fn complete(&self) -> bool {
        self.family_name.is_some()
            && self.given_name.is_some()
            && self.birthdate.is_some()
            && self.snils.is_some()
            && self.passport.is_some()
    }
}

/// Federation outcomes the citizen must see.
#[derive(Debug, thiserror::Error)]
pub enum FederatedError {
    /// The provider's data contradicts the account's.
    #[error("the provider's data does not match the account")]
    Conflict(Vec<FieldMismatch>),
    /// Refused as a whole.
    #[error("{0}")]
    Refused(&'static str),
    /// A backing store failed.
    #[error("{0}")]
    Unavailable(String),
}

impl From<DbError> for FederatedError {
    fn from(e: DbError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<AccountError> for FederatedError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Refused(m) => Self::Refused(m),
            AccountError::Invalid(fields) => Self::Conflict(fields),
            AccountError::Unavailable(m) => Self::Unavailable(m),
        }
    }
}

/// Fields present on both sides that differ (names compared after normalisation).
pub fn conflicts(user: &UserRow, upstream: &UpstreamIdentity) -> Vec<FieldMismatch> {
    let mut out = Vec::new();
    let mut name = |field: &str, ours: &Option<String>, theirs: &Option<String>| {
        if let (Some(a), Some(b)) = (ours, theirs)
            && normalise_name(a) != normalise_name(b)
        {
            out.push(FieldMismatch {
                field: field.into(),
                reason: "differs from the identity provider's record".into(),
            });
        }
    };
    name("family_name", &user.family_name, &upstream.family_name);
    name("given_name", &user.given_name, &upstream.given_name);
    name("middle_name", &user.middle_name, &upstream.middle_name);
    let mut same = |field: &str, ours: Option<String>, theirs: Option<String>| {
        if let (Some(a), Some(b)) = (ours, theirs)
            && a != b
        {
            out.push(FieldMismatch {
                field: field.into(),
                reason: "differs from the identity provider's record".into(),
            });
        }
    };
    same("birthdate", user.birthdate.clone(), upstream.birthdate.clone());
    same("snils", user.snils.clone(), upstream.snils.clone());
    let doc = |d: Option<IdDocument>| d.map(|d| format!("{}{}", d.series, d.number));
    same("id_document", doc(IdDocument::of(user)), doc(upstream.passport.clone()));
    out
}

fn evidence(provider: &ProviderConfig) -> serde_json::Value {
    json!([{
        "type": "electronic_record",
        "check_details": [{ "check_method": "data", "organization": provider.id }],
        "record": { "type": "bank_account", "source": { "name": provider.name } },
        "time": crate::domain::rfc3339(now()),
    }])
}

const CONFIRMED_CLAIMS: [&str; 6] = ["family_name", "given_name", "middle_name", "birthdate", "snils", "id_document"];

/// The account an upstream sign-in lands in, creating or linking one as the rules say.
pub async fn sign_in(
    svc: &Services,
    provider: &ProviderConfig,
    upstream: &UpstreamIdentity,
) -> Result<UserRow, FederatedError> {
    for _ in 0..2 {
        let (p, s) = (provider.id.clone(), upstream.subject.clone());
        if let Some(link) = svc.db.run(move |conn| link_db::find(conn, &p, &s)).await? {
            let id = link.user_id.clone();
            let user = svc
                .db
                .run(move |conn| user_db::find_by_id(conn, &id))
                .await?
                .ok_or(FederatedError::Refused("the linked account no longer exists"))?;
            let found = if provider.confirms { conflicts(&user, upstream) } else { Vec::new() };
            if !found.is_empty() {
                return Err(FederatedError::Conflict(found));
            }
            return Ok(user);
        }
        if let Some(user) = matching_account(svc, provider, upstream).await? {
            return link_existing(svc, provider, upstream, user).await;
        }
        match create(svc, provider, upstream).await {
            Err(FederatedError::Unavailable(e)) if e.contains("conflict") => continue,
            other => return other,
        }
    }
    Err(FederatedError::Unavailable("the account changed while signing in; try again".into()))
}

/// An existing account with the same verified identifiers.
async fn matching_account(
    svc: &Services,
    provider: &ProviderConfig,
    upstream: &UpstreamIdentity,
) -> Result<Option<UserRow>, FederatedError> {
    if provider.confirms
        && let Some(snils) = upstream.snils.clone()
    {
        let found = svc
            .db
            .run(move |conn| {
                let holder = user_db::verified_snils_holder(conn, &snils, "")?;
                holder.map(|id| user_db::find_by_id(conn, &id)).transpose().map(Option::flatten)
            })
            .await?;
        if let Some(user) = found {
            return Ok(Some(user));
        }
    }
    if provider.confirms
        && let Some(passport) = upstream.passport.clone()
    {
        let found =
            svc.db.run(move |conn| user_db::verified_passport_holder(conn, &passport.series, &passport.number)).await?;
        if let Some(user) = found {
            return Ok(Some(user));
        }
    }
    if provider.link_by_phone
        && upstream.phone_verified
        && let Some(phone) = upstream.phone.clone()
    {
        return Ok(svc.db.run(move |conn| user_db::find_by_verified_phone(conn, phone.as_str())).await?);
    }
    Ok(None)
}

async fn link_existing(
    svc: &Services,
    provider: &ProviderConfig,
    upstream: &UpstreamIdentity,
    user: UserRow,
) -> Result<UserRow, FederatedError> {
    let found = conflicts(&user, upstream);
    if provider.confirms && !found.is_empty() {
        return Err(FederatedError::Conflict(found));
    }
    let row = LinkRow {
        provider: provider.id.clone(),
        subject: upstream.subject.clone(),
        user_id: user.id.clone(),
        linked_at: now(),
    };
    svc.db.run(move |conn| link_db::insert(conn, &row)).await?;
    audit_link(svc, provider, &user.id, "matched").await;
    Ok(user)
}

async fn audit_link(svc: &Services, provider: &ProviderConfig, user_id: &str, how: &str) {
    svc.audit
        .record(
            AuditEvent::success(AuditKind::AccountChanged)
                .subject(user_id.to_owned())
                .actor(format!("federation:{}", provider.id))
                .detail(json!({ "what": "federation_linked", "provider": provider.id, "how": how })),
        )
        .await;
}

async fn create(
    svc: &Services,
    provider: &ProviderConfig,
    upstream: &UpstreamIdentity,
) -> Result<UserRow, FederatedError> {
    let at = now();
    let mut user = UserRow::new(random_token(16), format!("{}:{}", provider.id, upstream.subject), at);
    user.given_name = upstream.given_name.clone();
    user.family_name = upstream.family_name.clone();
    user.middle_name = upstream.middle_name.clone();
    user.birthdate = upstream.birthdate.clone();
    user.gender = upstream.gender.clone();
    user.email = upstream.email.clone();
    if upstream.phone_verified && provider.link_by_phone {
        user.phone_number = upstream.phone.as_ref().map(|p| p.as_str().to_owned());
        user.phone_number_verified = user.phone_number.is_some();
    }
    let confirmed = provider.confirms && upstream.complete();
    let (level, method, claims) = if confirmed {
        user.snils = upstream.snils.clone();
        user.inn = upstream.inn.clone();
        user.id_document = upstream.passport.as_ref().map(|d| serde_json::to_string(d).expect("serializes"));
        (AccountLevel::Confirmed, VerificationMethod::Bank.as_str(), json!(CONFIRMED_CLAIMS))
    } else {
        (AccountLevel::Simplified, "federation", json!([]))
    };
    user.account_level = level.as_str().to_owned();
    let history = VerificationRow {
        id: history_id(),
        user_id: user.id.clone(),
        level: level.as_str().into(),
        method: method.into(),
        verifier: provider.id.clone(),
        claims: claims.to_string(),
        evidence: if confirmed { evidence(provider) } else { json!([]) }.to_string(),
        created_at: at,
    };
    let link = LinkRow {
        provider: provider.id.clone(),
        subject: upstream.subject.clone(),
        user_id: user.id.clone(),
        linked_at: at,
    };
    let row = user.clone();
    svc.db
        .run(move |conn| {
            conn.transaction(|conn| {
                user_db::insert(conn, &row)?;
                link_db::insert(conn, &link)?;
                history_db::insert(conn, &history)
            })
        })
        .await
        .map_err(|e| match e {
            DbError::Conflict => FederatedError::Unavailable("conflict".into()),
            other => other.into(),
        })?;
    svc.audit
        .record(
            AuditEvent::success(AuditKind::AccountRegistered)
                .subject(user.id.clone())
                .actor(format!("federation:{}", provider.id))
                .detail(json!({ "level": level.as_str(), "provider": provider.id })),
        )
        .await;
    Ok(user)
}

/// Links a provider to the signed-in account (from the profile). With a provider whose
/// data is verified, a standard account whose data all matches becomes confirmed.
pub async fn link(
    svc: &Services,
    provider: &ProviderConfig,
    user_id: &str,
    upstream: &UpstreamIdentity,
) -> Result<AccountLevel, FederatedError> {
    let (p, s) = (provider.id.clone(), upstream.subject.clone());
    if let Some(existing) = svc.db.run(move |conn| link_db::find(conn, &p, &s)).await? {
        if existing.user_id != user_id {
            return Err(FederatedError::Refused("this account at the provider is linked to another citizen account"));
        }
    } else {
        let id = user_id.to_owned();
        let user = svc
            .db
            .run(move |conn| user_db::find_by_id(conn, &id))
            .await?
            .ok_or(FederatedError::Refused("no such account"))?;
        let found = conflicts(&user, upstream);
        if provider.confirms && !found.is_empty() {
            return Err(FederatedError::Conflict(found));
        }
        let row = LinkRow {
            provider: provider.id.clone(),
            subject: upstream.subject.clone(),
            user_id: user_id.to_owned(),
            linked_at: now(),
        };
        svc.db.run(move |conn| link_db::insert(conn, &row)).await?;
        audit_link(svc, provider, user_id, "by_citizen").await;
    }
    let id = user_id.to_owned();
    let user = svc
        .db
        .run(move |conn| user_db::find_by_id(conn, &id))
        .await?
        .ok_or(FederatedError::Refused("no such account"))?;
    let level = level_of(&user);
    let all_match = upstream.complete() && conflicts(&user, upstream).is_empty() && person_complete(&user);
    if provider.confirms && level == AccountLevel::Standard && all_match {
        let raised = super::raise_level(
            svc,
            user_id,
            VerificationMethod::Bank,
            &provider.id,
            &CONFIRMED_CLAIMS,
            evidence(provider),
        )
        .await?;
        return Ok(raised);
    }
    Ok(level)
}

fn person_complete(user: &UserRow) -> bool {
    user.family_name.is_some()
        && user.given_name.is_some()
        && user.birthdate.is_some()
        && user.snils.is_some()
        && user.id_document.is_some()
}

/// The providers linked to an account.
pub async fn links(svc: &Services, user_id: &str) -> Result<Vec<LinkRow>, FederatedError> {
    let id = user_id.to_owned();
    Ok(svc.db.run(move |conn| link_db::for_user(conn, &id)).await?)
}

/// Unlinks a provider from an account; refused when it is the account's only way to
/// sign in.
pub async fn unlink(svc: &Services, user_id: &str, provider: &str) -> Result<bool, FederatedError> {
    let id = user_id.to_owned();
    let (user, links) =
        svc.db.run(move |conn| Ok((user_db::find_by_id(conn, &id)?, link_db::for_user(conn, &id)?))).await?;
    let user = user.ok_or(FederatedError::Refused("no such account"))?;
    let other_methods =
        user.password_hash.is_some() || user.phone_number_verified || links.iter().any(|l| l.provider != provider);
    if !other_methods {
        return Err(FederatedError::Refused(
            "add a password or a phone first: this provider is your only way to sign in",
        ));
    }
    let (id, p) = (user_id.to_owned(), provider.to_owned());
    let removed = svc.db.run(move |conn| link_db::delete(conn, &id, &p)).await?;
    if removed {
        svc.audit
            .record(
                AuditEvent::success(AuditKind::AccountChanged)
                    .subject(user_id.to_owned())
                    .detail(json!({ "what": "federation_unlinked", "provider": provider })),
            )
            .await;
    }
    Ok(removed)
}
