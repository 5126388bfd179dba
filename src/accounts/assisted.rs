//! Accounts created and confirmed by staff: a service-centre operator's document check
//! confirms, a call-centre or partner registration never does (it may reach standard
//! through the registry check), and an activation code lets the citizen set a password.

use diesel::Connection;
use secrecy::SecretString;
use serde_json::{Value, json};

use super::{
    AccountError, Identity, REGISTRY_CLAIMS, check_password, hash, history_id, level_of, load, save, set_level,
    spawn_check,
};
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::models::identity_verification::{self as history_db, VerificationRow};
use crate::db::models::user::{self as user_db, UserRow};
use crate::db::{DbError, now};
use crate::domain::{AccountLevel, Phone, VerificationMethod};
use crate::jose::random_token;

/// A new account as staff enter it.
pub struct NewAccount<'a> {
    /// The citizen's phone, if they have one.
    pub phone: Option<&'a Phone>,
    /// Identity data, when given.
    pub identity: Option<&'a Identity>,
    /// `staff:NAME`.
    pub verifier: &'a str,
    /// How the account came to be (`in_person`, `call_centre`, `partner_application`).
    pub channel: &'a str,
}

/// The sign-in name of an assisted account: the phone number, else the SNILS digits.
fn username(account: &NewAccount<'_>) -> Result<String, AccountError> {
    match (account.phone, account.identity) {
        (Some(phone), _) => Ok(phone.as_str().to_owned()),
        (None, Some(identity)) => Ok(identity.snils().to_owned()),
        (None, None) => Err(AccountError::Refused("an account needs a phone number or identity data")),
    }
}

/// Creates a simplified account (no password: the citizen sets one with an activation
/// code). With identity data and no confirmation to follow, the registry check starts.
pub async fn create(svc: &Services, account: NewAccount<'_>, check: bool) -> Result<UserRow, AccountError> {
    let at = now();
    let mut row = UserRow::new(random_token(16), username(&account)?, at);
    row.phone_number = account.phone.map(|p| p.as_str().to_owned());
    if let Some(identity) = account.identity {
        identity.apply(&mut row);
        if check {
            row.registry_status = Some("pending".into());
        }
    }
    let history = VerificationRow {
        id: history_id(),
        user_id: row.id.clone(),
        level: AccountLevel::Simplified.as_str().into(),
        method: account.channel.into(),
        verifier: account.verifier.into(),
        claims: json!([]).to_string(),
        evidence: json!([]).to_string(),
        created_at: at,
    };
    let (inserted, snils) = (row.clone(), row.snils.clone());
    svc.db
        .run(move |conn| {
            conn.transaction(|conn| {
                if let Some(snils) = &snils
                    && user_db::find_by_snils(conn, snils)?.is_some()
                {
                    return Err(DbError::Conflict);
                }
                user_db::insert(conn, &inserted)?;
                history_db::insert(conn, &history)
            })
        })
        .await
        .map_err(|e| match e {
            DbError::Conflict => AccountError::Refused(
                "an account with this phone number or SNILS already exists: find it and work with it instead",
            ),
            other => other.into(),
        })?;
    svc.audit
        .record(
            AuditEvent::success(AuditKind::AccountRegistered)
                .subject(row.id.clone())
                .actor(account.verifier.to_owned())
                .detail(json!({ "level": "simplified", "channel": account.channel })),
        )
        .await;
    if check && account.identity.is_some() {
        spawn_check(svc, &row.id);
    }
    Ok(row)
}

/// Writes identity data an operator checked against the citizen's document and
/// confirms the account, recording the operator, the office and the evidence.
pub async fn confirm_in_person(
    svc: &Services,
    user_id: &str,
    identity: &Identity,
    verifier: &str,
    evidence: Value,
) -> Result<UserRow, AccountError> {
    let mut user = load(svc, user_id).await?;
    let (snils, id) = (identity.snils().to_owned(), user.id.clone());
    if svc.db.run(move |conn| user_db::verified_snils_holder(conn, &snils, &id)).await?.is_some() {
        return Err(AccountError::Refused("another verified account holds this SNILS"));
    }
    identity.apply(&mut user);
    user.registry_status = Some("matched".into());
    user.registry_detail = None;
    let method = VerificationMethod::InPerson;
    let level = level_of(&user).max(method.proves());
    set_level(svc, user, level, method.as_str(), verifier, &REGISTRY_CLAIMS, evidence).await
}

/// Sets the password of an account the citizen just proved with an activation code;
/// a code that went by SMS also proves the phone. Returns the account and whether it
/// had a password before (the code then served as a recovery).
pub async fn activate(
    svc: &Services,
    user_id: &str,
    password: SecretString,
    phone_proved: bool,
) -> Result<(UserRow, bool), AccountError> {
    check_password(&password)?;
    let mut user = load(svc, user_id).await?;
    let replaced = user.password_hash.is_some();
    user.password_hash = Some(hash(password).await?);
    if phone_proved && user.phone_number.is_some() {
        user.phone_number_verified = true;
    }
    save(svc, user.clone()).await.map_err(|e| match e {
        AccountError::Unavailable(m) if m.contains("exists") => {
            AccountError::Refused("this phone number is verified on another account")
        }
        other => other,
    })?;
    svc.audit
        .record(
            AuditEvent::success(AuditKind::AccountChanged)
                .subject(user.id.clone())
                .detail(json!({ "what": "activated", "phone_verified": user.phone_number_verified,
                                "password_replaced": replaced })),
        )
        .await;
    Ok((user, replaced))
}

/// What a reset removed.
#[derive(Debug, Default, serde::Serialize)]
pub struct Reset {
    /// Passkeys removed.
    pub passkeys: usize,
    /// Upstream links removed.
    pub links: usize,
    /// Refresh tokens revoked.
    pub refresh_tokens: usize,
}

/// Binds an account to the person in front of the operator: removes every way in
/// that person did not set up there — password (with `password`), passkeys, upstream
/// links, the phone's verification, refresh tokens. Sessions are ended by the caller
/// (they live in the state store and have their own logout path).
pub async fn reset_credentials(
    svc: &Services,
    user_id: &str,
    password: bool,
    phone: bool,
) -> Result<Reset, AccountError> {
    let mut user = load(svc, user_id).await?;
    if password {
        user.password_hash = None;
    }
    if phone {
        user.phone_number_verified = false;
    }
    let (id, at) = (user.id.clone(), now());
    let reset = svc
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                user.updated_at = at;
                user_db::update(conn, &user)?;
                Ok(Reset {
                    passkeys: crate::db::models::passkey::delete_all(conn, &id)?,
                    links: crate::db::models::federated_identity::delete_all(conn, &id)?,
                    refresh_tokens: crate::db::models::refresh_token::revoke_all_for_user(conn, &id, at)?,
                })
            })
        })
        .await?;
    svc.audit
        .record(
            AuditEvent::success(AuditKind::AccountChanged)
                .subject(user_id.to_owned())
                .detail(json!({ "what": "credentials_reset", "password": password, "phone": phone, "removed": reset })),
        )
        .await;
    Ok(reset)
}
