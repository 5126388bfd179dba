//! One-time codes handed over outside the browser: activation codes (printed at a
//! service centre or read out by the call centre), post confirmation codes (printed by
//! the citizen, presented with the document at a post office) and temporary access
//! codes from support.
//!
//! A code is 12 characters from a 32-letter alphabet without look-alikes (60 bits),
//! printed as `XXXX-XXXX-XXXX` next to a public reference; only a keyed digest is
//! stored. It is bound to one account, expires, is single-use (taken atomically),
//! dies after [`MAX_ATTEMPTS`] wrong entries, and a newer code of the same kind
//! withdraws the older one. Wrong entries are also counted per address.

use std::net::IpAddr;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};

use super::{Action, Staff, StaffError, audit, invalid, reason};
use crate::accounts::{self, IdDocument};
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::models::assisted_code::{self as code_db, CodeRow};
use crate::db::models::user::{self as user_db, UserRow};
use crate::db::now;
use crate::domain::{AccountLevel, VerificationMethod};
use crate::state::EphemeralStore;

/// Wrong entries a code survives.
pub const MAX_ATTEMPTS: i64 = 5;
/// The least time a wrong code takes to answer.
const FAILURE_FLOOR: Duration = Duration::from_millis(150);
/// Wrong entries per address per hour, across codes.
const MAX_ADDRESS_FAILURES: u64 = 20;
/// The alphabet: no 0/O, 1/I.
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Activation codes live two weeks.
pub const ACTIVATION_TTL: Duration = Duration::from_secs(14 * 24 * 3600);
/// Post codes live 30 days.
pub const POST_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Longest temporary access support may grant.
pub const TEMPORARY_MAX_HOURS: i64 = 72;
/// What temporary access may release: basic profile and contacts, never documents,
/// SNILS, INN or verified claims.
pub const TEMPORARY_SCOPES: [&str; 4] = ["openid", "profile", "phone", "email"];

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Set a password on an assisted account.
    Activation,
    /// Confirm an account at a post office.
    Post,
    /// Sign in with restricted scopes for a limited time.
    Temporary,
}

impl Kind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activation => "activation",
            Self::Post => "post",
            Self::Temporary => "temporary",
        }
    }
}

/// Why a code was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// Wrong code, unknown account, or no live code (one answer for all).
    #[error("the code is wrong or no longer valid")]
    Invalid,
    /// Too many wrong entries from this address.
    #[error("too many wrong codes from this address; try again in an hour")]
    Locked,
    /// A post code the post office has not yet seen with the document.
    #[error("the code has not yet been presented at a post office")]
    NotPresented,
    /// Bad input (new password, document data).
    #[error(transparent)]
    Staff(#[from] StaffError),
}

impl From<crate::db::DbError> for CodeError {
    fn from(e: crate::db::DbError) -> Self {
        Self::Staff(e.into())
    }
}

impl From<crate::state::StateError> for CodeError {
    fn from(e: crate::state::StateError) -> Self {
        Self::Staff(e.into())
    }
}

fn random_chars(n: usize) -> String {
    let mut raw = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut raw).expect("the system random generator failed");
    // 256 is a multiple of 32: taking the low five bits keeps every letter equally likely.
    raw.iter().map(|b| ALPHABET[(b & 31) as usize] as char).collect()
}

/// `XXXX-XXXX-XXXX`.
fn formatted(code: &str) -> String {
    code.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// What the citizen typed, as stored: upper case, separators dropped.
fn normalised(typed: &str) -> String {
    typed.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// A freshly issued code: the row and the code in clear (shown or sent once).
#[derive(Debug)]
pub struct Issued {
    /// The stored row.
    pub row: CodeRow,
    /// `XXXX-XXXX-XXXX`.
    pub code: String,
}

/// Issues a code of `kind` for an account, withdrawing its older one.
pub async fn issue(
    svc: &Services,
    kind: Kind,
    user_id: &str,
    issued_by: &str,
    office: &str,
    ttl: Duration,
    detail: Value,
) -> Result<Issued, StaffError> {
    let (reference, code) = (random_chars(10), random_chars(12));
    let at = now();
    let row = CodeRow {
        code_hash: svc.secrets.otp_digest(&reference, &code),
        id: reference,
        kind: kind.as_str().into(),
        user_id: user_id.to_owned(),
        detail: detail.to_string(),
        issued_by: issued_by.to_owned(),
        office: office.to_owned(),
        created_at: at,
        expires_at: at + ttl.as_secs() as i64,
        presented_at: None,
        presented_by: None,
        used_at: None,
        failed_attempts: 0,
        revoked_at: None,
    };
    let stored = row.clone();
    svc.db.run(move |conn| code_db::replace(conn, &stored)).await?;
    Ok(Issued { row, code: formatted(&code) })
}

fn address_key(ip: Option<IpAddr>) -> String {
    format!("codefail:ip:{}", ip.map_or_else(|| "-".to_owned(), |ip| ip.to_string()))
}

/// The account a citizen names at `/activate` or `/temporary`: user name, phone (any
/// spelling) or SNILS.
async fn account_named(svc: &Services, login: &str) -> Result<Option<UserRow>, CodeError> {
    let login = login.to_owned();
    Ok(svc.db.run(move |conn| user_db::find_by_login(conn, &login)).await?)
}

/// Checks and takes the live code of `kind` of an account. Every failure counts
/// against the code and the address, and answers no sooner than [`FAILURE_FLOOR`], so
/// timing does not tell an account with a live code from one without.
async fn redeem(
    svc: &Services,
    kind: Kind,
    user: Option<&UserRow>,
    typed: &str,
    ip: Option<IpAddr>,
) -> Result<CodeRow, CodeError> {
    let started = tokio::time::Instant::now();
    let result = take(svc, kind, user, typed, ip).await;
    if matches!(result, Err(CodeError::Invalid)) {
        tokio::time::sleep_until(started + FAILURE_FLOOR).await;
    }
    result
}

async fn take(
    svc: &Services,
    kind: Kind,
    user: Option<&UserRow>,
    typed: &str,
    ip: Option<IpAddr>,
) -> Result<CodeRow, CodeError> {
    let address = address_key(ip);
    if svc.state.count(&address).await? >= MAX_ADDRESS_FAILURES {
        return Err(CodeError::Locked);
    }
    let live = match user {
        Some(user) => {
            let (id, kind) = (user.id.clone(), kind.as_str());
            svc.db.run(move |conn| code_db::live_for(conn, &id, kind)).await?
        }
        None => None,
    };
    let typed = normalised(typed);
    let Some(row) = live.filter(|r| r.expires_at > now()) else {
        svc.state.incr(&address, Duration::from_secs(3600)).await?;
        return Err(CodeError::Invalid);
    };
    if typed.len() == 12 && svc.secrets.otp_matches(&row.id, &typed, &row.code_hash) {
        if kind == Kind::Post && row.presented_at.is_none() {
            return Err(CodeError::NotPresented);
        }
        let (id, at) = (row.id.clone(), now());
        if svc.db.run(move |conn| code_db::mark_used(conn, &id, at)).await? {
            svc.audit
                .record(
                    AuditEvent::success(AuditKind::CodeRedeemed)
                        .subject(row.user_id.clone())
                        .ip(ip)
                        .detail(json!({ "kind": row.kind, "reference": row.id })),
                )
                .await;
            return Ok(row);
        }
        return Err(CodeError::Invalid);
    }
    svc.state.incr(&address, Duration::from_secs(3600)).await?;
    let failures = count_failure(svc, &row).await?;
    svc.audit
        .record(
            AuditEvent::failure(AuditKind::CodeRedeemed)
                .subject(row.user_id.clone())
                .ip(ip)
                .detail(json!({ "kind": row.kind, "reference": row.id, "failures": failures })),
        )
        .await;
    Err(CodeError::Invalid)
}

/// Counts a wrong entry against a code; the code dies at [`MAX_ATTEMPTS`]. Returns the
/// count.
async fn count_failure(svc: &Services, row: &CodeRow) -> Result<i64, crate::db::DbError> {
    let id = row.id.clone();
    let failures = svc.db.run(move |conn| code_db::count_failure(conn, &id)).await?;
    if failures >= MAX_ATTEMPTS {
        let (id, at) = (row.id.clone(), now());
        svc.db.run(move |conn| code_db::withdraw(conn, &id, at)).await?;
    }
    Ok(failures)
}

/// Issues an activation code for an account (service centre); the code is printed.
pub async fn issue_activation(svc: &Services, staff: &Staff, user_id: &str, why: &str) -> Result<Issued, StaffError> {
    staff.require(svc, Action::IssueActivationCode).await?;
    let why = reason(why)?;
    activation_for(svc, staff, user_id, &why, "print").await
}

/// Issues an activation code delivered by `delivery` (`print`, `sms`, `read_out`),
/// after the caller checked the member's rights.
pub(crate) async fn activation_for(
    svc: &Services,
    staff: &Staff,
    user_id: &str,
    why: &str,
    delivery: &str,
) -> Result<Issued, StaffError> {
    let issued = issue(
        svc,
        Kind::Activation,
        user_id,
        &staff.actor(),
        &staff.office,
        ACTIVATION_TTL,
        json!({ "delivery": delivery }),
    )
    .await?;
    audit(
        svc,
        staff,
        Action::IssueActivationCode,
        Some(user_id),
        why,
        json!({ "reference": issued.row.id, "delivery": delivery }),
    )
    .await;
    Ok(issued)
}

/// `/activate`: the citizen names the account, types the code and a new password. When
/// the account already had a password (a recovery at a service centre), every other way
/// in ends: sessions, passkeys, upstream links, refresh tokens.
pub async fn activate(
    svc: &Services,
    login: &str,
    code: &str,
    password: SecretString,
    ip: Option<IpAddr>,
) -> Result<UserRow, CodeError> {
    accounts::check_password(&password).map_err(StaffError::from)?;
    let user = account_named(svc, login).await?;
    let row = redeem(svc, Kind::Activation, user.as_ref(), code, ip).await?;
    let by_sms =
        serde_json::from_str::<Value>(&row.detail).ok().and_then(|d| d["delivery"].as_str().map(|s| s == "sms"));
    let (user, replaced) = accounts::assisted::activate(svc, &row.user_id, password, by_sms == Some(true))
        .await
        .map_err(StaffError::from)?;
    if replaced {
        // A recovery: whoever held the old password, a passkey, an upstream link or a
        // refresh token is out, everywhere. A printed code does not prove the phone.
        accounts::assisted::reset_credentials(svc, &user.id, false, by_sms != Some(true))
            .await
            .map_err(StaffError::from)?;
        super::sign_out_everywhere(svc, &user.id, ip).await?;
    }
    Ok(user)
}

/// Digest binding a post code to the document data it was issued for.
fn document_digest(svc: &Services, document: &IdDocument) -> String {
    svc.secrets.key_digest(&format!("{}:{}{}", document.kind, document.series, document.number))
}

/// A citizen with a standard account asks to confirm it at a post office.
pub async fn request_post(svc: &Services, user_id: &str) -> Result<Issued, StaffError> {
    let id = user_id.to_owned();
    let user = svc.db.run(move |conn| user_db::find_by_id(conn, &id)).await?.ok_or(StaffError::NotFound("account"))?;
    if accounts::level_of(&user) != AccountLevel::Standard {
        return Err(StaffError::Refused("confirmation by post is for standard accounts".into()));
    }
    let document = IdDocument::of(&user).ok_or(StaffError::Refused("the account has no identity document".into()))?;
    let issued = issue(svc, Kind::Post, user_id, "citizen", "", POST_TTL, json!({})).await?;
    // The code is kept sealed (server key) so the citizen can print the form again.
    let mut row = issued.row.clone();
    row.detail =
        json!({ "document": document_digest(svc, &document), "sealed": svc.secrets.seal_reference(&issued.code) })
            .to_string();
    let written = row.clone();
    svc.db.run(move |conn| code_db::update(conn, &written)).await?;
    let issued = Issued { row, code: issued.code };
    svc.audit
        .record(
            AuditEvent::success(AuditKind::AccountChanged)
                .subject(user_id.to_owned())
                .detail(json!({ "what": "post_code_requested", "reference": issued.row.id })),
        )
        .await;
    Ok(issued)
}

/// A post clerk checked the citizen's document and marks the code with `reference` as
/// presented. The document series and number must be those the code was issued for.
pub async fn present_post(
    svc: &Services,
    staff: &Staff,
    reference: &str,
    document: &str,
    why: &str,
) -> Result<CodeRow, StaffError> {
    staff.require(svc, Action::PresentPostCode).await?;
    let why = reason(why)?;
    let reference = normalised(reference);
    let passport = crate::domain::Passport::parse(document).map_err(|e| invalid("document", e.0))?;
    let id = reference.clone();
    let row = svc.db.run(move |conn| code_db::find(conn, &id)).await?.filter(|r| r.kind == Kind::Post.as_str());
    let Some(mut row) = row else { return Err(invalid("reference", "no post confirmation code has this reference")) };
    if row.used_at.is_some() || row.revoked_at.is_some() || row.expires_at <= now() {
        return Err(invalid("reference", "this code was used, withdrawn or has expired"));
    }
    if row.presented_at.is_some() {
        return Err(invalid("reference", "this code was already presented"));
    }
    let expected =
        serde_json::from_str::<Value>(&row.detail).ok().and_then(|d| d["document"].as_str().map(str::to_owned));
    let shown = IdDocument {
        kind: "passport_ru".into(),
        series: passport.series,
        number: passport.number,
        issue_date: None,
        issuer: None,
    };
    if expected.as_deref() != Some(document_digest(svc, &shown).as_str()) {
        count_failure(svc, &row).await?;
        audit(
            svc,
            staff,
            Action::PresentPostCode,
            Some(&row.user_id),
            &why,
            json!({ "reference": row.id, "document_matches": false }),
        )
        .await;
        return Err(invalid("document", "the document is not the one this code was issued for"));
    }
    let (id, at, by, office) = (row.id.clone(), now(), staff.actor(), staff.office.clone());
    if !svc.db.run(move |conn| code_db::mark_presented(conn, &id, at, &by, &office)).await? {
        return Err(invalid("reference", "this code was already presented"));
    }
    row.presented_at = Some(at);
    row.presented_by = Some(staff.actor());
    row.office = staff.office.clone();
    audit(
        svc,
        staff,
        Action::PresentPostCode,
        Some(&row.user_id),
        &why,
        json!({ "reference": row.id, "document_matches": true }),
    )
    .await;
    Ok(row)
}

/// The citizen types the post code online: the account becomes confirmed.
pub async fn confirm_post(
    svc: &Services,
    user: &UserRow,
    code: &str,
    ip: Option<IpAddr>,
) -> Result<AccountLevel, CodeError> {
    // The clerk checked the document the code was issued for, for an account at standard
    // level: if the data changed since, the code confirms nothing.
    if accounts::level_of(user) != AccountLevel::Standard {
        return Err(StaffError::Refused("confirmation by post is for standard accounts".into()).into());
    }
    let (id, snils) = (user.id.clone(), user.snils.clone().unwrap_or_default());
    if svc.db.run(move |conn| user_db::verified_snils_holder(conn, &snils, &id)).await?.is_some() {
        return Err(StaffError::Refused("another verified account holds this SNILS".into()).into());
    }
    let id = user.id.clone();
    if let Some(live) = svc.db.run(move |conn| code_db::live_for(conn, &id, "post")).await? {
        let issued_for =
            serde_json::from_str::<Value>(&live.detail).ok().and_then(|d| d["document"].as_str().map(str::to_owned));
        let current = IdDocument::of(user).map(|d| document_digest(svc, &d));
        if issued_for.is_none() || issued_for != current {
            let (reference, at) = (live.id.clone(), now());
            svc.db.run(move |conn| code_db::withdraw(conn, &reference, at)).await?;
            return Err(StaffError::Refused(
                "the identity document changed after the form was printed: ask for a new form".into(),
            )
            .into());
        }
    }
    let row = redeem(svc, Kind::Post, Some(user), code, ip).await?;
    let clerk = row.presented_by.clone().unwrap_or_default();
    let evidence = json!([{ "type": "document", "check_method": "vpip", "verifier": { "organization": row.office, "txn": row.id },
                            "time": row.presented_at.map(crate::domain::rfc3339) }]);
    let level = accounts::raise_level(
        svc,
        &user.id,
        VerificationMethod::InPerson,
        &clerk,
        &accounts::REGISTRY_CLAIMS,
        evidence,
    )
    .await
    .map_err(StaffError::from)?;
    Ok(level)
}

/// The account's live post code, if any, with the code itself (for the print view).
pub async fn live_post(svc: &Services, user_id: &str) -> Result<Option<(CodeRow, String)>, StaffError> {
    let id = user_id.to_owned();
    let row = svc.db.run(move |conn| code_db::live_for(conn, &id, "post")).await?.filter(|r| r.expires_at > now());
    Ok(row.and_then(|row| {
        let sealed = serde_json::from_str::<Value>(&row.detail).ok()?["sealed"].as_str()?.to_owned();
        let code = svc.secrets.open_reference(&sealed)?;
        Some((row, code))
    }))
}

/// Support grants time-limited access with [`TEMPORARY_SCOPES`] when no method works.
pub async fn issue_temporary(
    svc: &Services,
    staff: &Staff,
    user_id: &str,
    hours: i64,
    why: &str,
) -> Result<Issued, StaffError> {
    staff.require(svc, Action::IssueTemporaryAccess).await?;
    let why = reason(why)?;
    if !(1..=TEMPORARY_MAX_HOURS).contains(&hours) {
        return Err(invalid("hours", format!("1 to {TEMPORARY_MAX_HOURS} hours")));
    }
    let ttl = Duration::from_secs(hours as u64 * 3600);
    let detail = json!({ "scopes": TEMPORARY_SCOPES, "hours": hours });
    let issued = issue(svc, Kind::Temporary, user_id, &staff.actor(), &staff.office, ttl, detail).await?;
    audit(
        svc,
        staff,
        Action::IssueTemporaryAccess,
        Some(user_id),
        &why,
        json!({ "reference": issued.row.id, "hours": hours }),
    )
    .await;
    Ok(issued)
}

/// `/temporary`: the citizen signs in with a temporary access code; returns the
/// account and until when the access lasts.
pub async fn redeem_temporary(
    svc: &Services,
    login: &str,
    code: &str,
    ip: Option<IpAddr>,
) -> Result<(UserRow, i64), CodeError> {
    let user = account_named(svc, login).await?;
    let row = redeem(svc, Kind::Temporary, user.as_ref(), code, ip).await?;
    let user = user.ok_or(CodeError::Invalid)?;
    Ok((user, row.expires_at))
}

/// One page of codes (staff with `ReadCodes`).
pub async fn page(svc: &Services, staff: &Staff, q: &str, number: i64) -> Result<super::Page<CodeRow>, StaffError> {
    staff.require(svc, Action::ReadCodes).await?;
    let (offset, limit) = super::Page::<CodeRow>::window(number);
    // References are stored upper case; account ids are matched as typed.
    let q = q.trim().to_owned();
    let reference = normalised(&q);
    let items = svc.db.run(move |conn| code_db::page(conn, &q, &reference, offset, limit)).await?;
    Ok(super::Page::of(items, number))
}
