//! Powers of attorney: an operator records that a representative may act for a
//! principal towards some relying parties, with some scopes, for a period, on the
//! strength of a notarial document. The representative, signed in as themselves,
//! chooses to act for the principal; tokens then name the principal in `sub` and the
//! representative in `act` (RFC 8693). Revocation or expiry ends it at once: every
//! use checks the record.

use serde_json::json;

use super::{Action, Page, Staff, StaffError, audit, invalid, reason};
use crate::app::Services;
use crate::db::models::attorney::{self as poa_db, AttorneyRow};
use crate::db::models::user as user_db;
use crate::db::now;
use crate::domain::{AccountLevel, ClientId, Date, Scopes};
use crate::jose::random_token;

/// Scopes a power can never delegate.
const NOT_DELEGABLE: [&str; 1] = ["offline_access"];

/// A power as an operator enters it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PowerSpec {
    /// The principal's account id.
    #[serde(default)]
    pub principal: String,
    /// The representative: account id, user name, phone or SNILS.
    #[serde(default)]
    pub representative: String,
    /// Space-separated client ids.
    #[serde(default)]
    pub clients: String,
    /// Space-separated scopes.
    #[serde(default)]
    pub scopes: String,
    /// `YYYY-MM-DD`, first day.
    #[serde(default)]
    pub valid_from: String,
    /// `YYYY-MM-DD`, last day (inclusive).
    #[serde(default)]
    pub valid_until: String,
    /// Notarial document reference (register number).
    #[serde(default)]
    pub document_ref: String,
    /// Why (audit).
    #[serde(default)]
    pub reason: String,
}

fn day_start(raw: &str, field: &str) -> Result<i64, StaffError> {
    let date = Date::parse(raw.trim()).map_err(|e| invalid(field, e.0))?;
    Ok(date.unix_midnight())
}

/// Records a power of attorney.
pub async fn record(svc: &Services, staff: &Staff, spec: &PowerSpec) -> Result<AttorneyRow, StaffError> {
    staff.require(svc, Action::RecordPowerOfAttorney).await?;
    let why = reason(&spec.reason)?;
    let mut clients = Vec::new();
    for raw in spec.clients.split_whitespace() {
        let id = ClientId::parse(raw).map_err(|e| invalid("clients", e.to_string()))?;
        if svc.clients.get(&id).await.map_err(|e| StaffError::Unavailable(e.to_string()))?.is_none() {
            return Err(invalid("clients", format!("no application `{raw}` is registered")));
        }
        clients.push(id.to_string());
    }
    if clients.is_empty() {
        return Err(invalid("clients", "name at least one application the power covers"));
    }
    let scopes = Scopes::parse(spec.scopes.trim()).map_err(|e| invalid("scopes", e.to_string()))?;
    if !scopes.contains("openid") {
        return Err(invalid("scopes", "include openid: the representative signs in to act"));
    }
    if let Some(bad) = NOT_DELEGABLE.iter().find(|s| scopes.contains(s)) {
        return Err(invalid("scopes", format!("`{bad}` cannot be delegated")));
    }
    let valid_from = day_start(&spec.valid_from, "valid_from")?;
    let valid_until = day_start(&spec.valid_until, "valid_until")? + 86_400;
    if valid_until <= valid_from || valid_until <= now() {
        return Err(invalid("valid_until", "the period must end after it starts, and in the future"));
    }
    let document_ref = spec.document_ref.trim();
    if document_ref.is_empty() || document_ref.chars().count() > 100 {
        return Err(invalid("document_ref", "give the notarial register number (at most 100 characters)"));
    }
    let principal_id = spec.principal.trim().to_owned();
    let named = spec.representative.trim().to_owned();
    let (principal, representative) = svc
        .db
        .run(move |conn| {
            let principal = user_db::find_by_id(conn, &principal_id)?;
            let rep = match user_db::find_by_id(conn, &named)? {
                Some(rep) => Some(rep),
                None => user_db::find_by_login(conn, &named)?,
            };
            Ok((principal, rep))
        })
        .await?;
    let principal = principal.ok_or_else(|| invalid("principal", "no such account"))?;
    let representative =
        representative.ok_or_else(|| invalid("representative", "no account found for this representative"))?;
    if representative.id == principal.id {
        return Err(invalid("representative", "the representative must be another person"));
    }
    if crate::accounts::level_of(&representative) == AccountLevel::Simplified {
        return Err(invalid(
            "representative",
            "the representative's account must be at least standard (identity known)",
        ));
    }
    let row = AttorneyRow {
        id: random_token(12),
        principal_id: principal.id.clone(),
        representative_id: representative.id.clone(),
        clients: clients.join(" "),
        scopes: scopes.to_string(),
        valid_from,
        valid_until,
        document_ref: document_ref.to_owned(),
        recorded_by: staff.actor(),
        office: staff.office.clone(),
        created_at: now(),
        revoked_at: None,
        revoked_by: None,
    };
    let stored = row.clone();
    svc.db.run(move |conn| poa_db::insert(conn, &stored)).await?;
    audit(
        svc,
        staff,
        Action::RecordPowerOfAttorney,
        Some(&principal.id),
        &why,
        json!({ "power": row.id, "representative": representative.id, "clients": row.clients, "scopes": row.scopes,
                "valid_from": valid_from, "valid_until": valid_until, "document_ref": row.document_ref }),
    )
    .await;
    Ok(row)
}

/// Revokes a power; it stops working at once.
pub async fn revoke(svc: &Services, staff: &Staff, id: &str, why: &str) -> Result<(), StaffError> {
    staff.require(svc, Action::RecordPowerOfAttorney).await?;
    let why = reason(why)?;
    let (key, by, at) = (id.to_owned(), staff.actor(), now());
    let row = svc.db.run({
        let key = key.clone();
        move |conn| poa_db::find(conn, &key)
    });
    let Some(row) = row.await? else { return Err(StaffError::NotFound("power of attorney")) };
    if !svc.db.run(move |conn| poa_db::revoke(conn, &key, at, &by)).await? {
        return Err(StaffError::Refused("the power of attorney was already revoked".into()));
    }
    audit(
        svc,
        staff,
        Action::RecordPowerOfAttorney,
        Some(&row.principal_id),
        &why,
        json!({ "power": row.id, "revoked": true }),
    )
    .await;
    Ok(())
}

/// One page of powers (for account or document reference `q`).
pub async fn page(svc: &Services, staff: &Staff, q: &str, number: i64) -> Result<Page<AttorneyRow>, StaffError> {
    if !staff.may(Action::RecordPowerOfAttorney) {
        staff.require(svc, Action::ReadPowersOfAttorney).await?;
    }
    let (offset, limit) = Page::<AttorneyRow>::window(number);
    let q = q.trim().to_owned();
    let items = svc.db.run(move |conn| poa_db::page(conn, &q, offset, limit)).await?;
    Ok(Page::of(items, number))
}

/// Whether a power is in force at `at`.
pub fn in_force(row: &AttorneyRow, at: i64) -> bool {
    row.revoked_at.is_none() && row.valid_from <= at && at < row.valid_until
}

/// A power in force, by id.
pub async fn live(svc: &Services, id: &str) -> Result<Option<AttorneyRow>, crate::db::DbError> {
    let id = id.to_owned();
    Ok(svc.db.run(move |conn| poa_db::find(conn, &id)).await?.filter(|r| in_force(r, now())))
}

/// Powers the account holds as representative or grants as principal.
pub async fn for_account(svc: &Services, user_id: &str) -> Result<Vec<AttorneyRow>, crate::db::DbError> {
    let id = user_id.to_owned();
    svc.db.run(move |conn| poa_db::for_account(conn, &id)).await
}
