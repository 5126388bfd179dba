//! Sign-in problem requests and their three support tiers: first-line diagnosis (1),
//! technical (2) and escalation (3). A citizen opens one from the sign-in page, or an
//! operator opens one for them; support moves it up a tier or resolves it, and the
//! time each tier held it is recorded and reported.

use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;
use serde_json::json;

use super::{Action, Page, Staff, StaffError, audit, case_event, invalid, reason};
use crate::app::Services;
use crate::db::models::support_request::{self as req_db, CaseEventRow, RequestRow};
use crate::db::now;
use crate::jose::random_token;
use crate::state::EphemeralStore;

/// Requests a citizen may open from one address per hour.
const CITIZEN_REQUESTS_PER_HOUR: u64 = 5;
/// Tier names, 1-based.
pub const TIERS: [&str; 3] = ["first_line", "technical", "escalation"];

fn text(raw: &str, field: &str, max: usize) -> Result<String, StaffError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(invalid(field, "required"));
    }
    if value.chars().count() > max {
        return Err(invalid(field, format!("at most {max} characters")));
    }
    Ok(value.to_owned())
}

async fn insert(
    svc: &Services,
    user_id: Option<String>,
    contact: &str,
    description: &str,
    opened_by: &str,
) -> Result<RequestRow, StaffError> {
    let contact = text(contact, "contact", 200)?;
    let description = text(description, "description", 2000)?;
    let at = now();
    let row = RequestRow {
        id: random_token(12),
        search: format!("{contact} {description}").to_lowercase(),
        user_id,
        contact,
        description,
        tier: 1,
        status: "open".into(),
        opened_by: opened_by.to_owned(),
        created_at: at,
        tier_started_at: at,
        tier1_secs: 0,
        tier2_secs: 0,
        tier3_secs: 0,
        resolved_at: None,
        resolution: None,
    };
    let stored = row.clone();
    svc.db.run(move |conn| req_db::insert(conn, &stored)).await?;
    case_event(svc, &row.id, opened_by, "opened", "").await?;
    Ok(row)
}

/// A citizen opens a request (rate-limited per address).
pub async fn open_by_citizen(
    svc: &Services,
    user_id: Option<String>,
    contact: &str,
    description: &str,
    ip: Option<IpAddr>,
) -> Result<RequestRow, StaffError> {
    let key = format!("supportopen:{}", ip.map_or_else(|| "-".to_owned(), |ip| ip.to_string()));
    if svc.state.incr(&key, Duration::from_secs(3600)).await? > CITIZEN_REQUESTS_PER_HOUR {
        return Err(StaffError::Refused("too many requests from this address; call the support line".into()));
    }
    insert(svc, user_id, contact, description, "citizen").await
}

/// An operator opens a request on a citizen's behalf.
pub async fn open_by_staff(
    svc: &Services,
    staff: &Staff,
    user_id: Option<String>,
    contact: &str,
    description: &str,
) -> Result<RequestRow, StaffError> {
    staff.require(svc, Action::OpenSupportRequest).await?;
    let row = insert(svc, user_id.clone(), contact, description, &staff.actor()).await?;
    audit(svc, staff, Action::OpenSupportRequest, user_id.as_deref(), "support request", json!({ "request": row.id }))
        .await;
    Ok(row)
}

async fn load(svc: &Services, id: &str) -> Result<RequestRow, StaffError> {
    let id = id.to_owned();
    svc.db.run(move |conn| req_db::find(conn, &id)).await?.ok_or(StaffError::NotFound("request"))
}

fn close_tier(row: &mut RequestRow, at: i64) {
    let spent = (at - row.tier_started_at).max(0);
    match row.tier {
        1 => row.tier1_secs += spent,
        2 => row.tier2_secs += spent,
        _ => row.tier3_secs += spent,
    }
    row.tier_started_at = at;
}

/// Moves a request to the next tier.
pub async fn escalate(svc: &Services, staff: &Staff, id: &str, note: &str) -> Result<RequestRow, StaffError> {
    staff.require(svc, Action::WorkSupportRequests).await?;
    let note = reason(note)?;
    let mut row = load(svc, id).await?;
    if row.status != "open" {
        return Err(StaffError::Refused("the request is resolved".into()));
    }
    if row.tier >= 3 {
        return Err(StaffError::Refused("the request is already at the escalation tier".into()));
    }
    let from = row.tier;
    close_tier(&mut row, now());
    row.tier += 1;
    let written = row.clone();
    if !svc.db.run(move |conn| req_db::update_from(conn, &written, from)).await? {
        return Err(StaffError::Refused("the request changed meanwhile; reload it".into()));
    }
    case_event(svc, &row.id, &staff.actor(), &format!("escalated_to_{}", TIERS[(row.tier - 1) as usize]), &note)
        .await?;
    audit(
        svc,
        staff,
        Action::WorkSupportRequests,
        row.user_id.as_deref(),
        &note,
        json!({ "request": row.id, "tier": row.tier }),
    )
    .await;
    Ok(row)
}

/// Resolves a request at its current tier.
pub async fn resolve(svc: &Services, staff: &Staff, id: &str, resolution: &str) -> Result<RequestRow, StaffError> {
    staff.require(svc, Action::WorkSupportRequests).await?;
    let resolution = reason(resolution)?;
    let mut row = load(svc, id).await?;
    if row.status != "open" {
        return Err(StaffError::Refused("the request is resolved".into()));
    }
    let (tier, at) = (row.tier, now());
    close_tier(&mut row, at);
    row.status = "resolved".into();
    row.resolved_at = Some(at);
    row.resolution = Some(resolution.clone());
    let written = row.clone();
    if !svc.db.run(move |conn| req_db::update_from(conn, &written, tier)).await? {
        return Err(StaffError::Refused("the request changed meanwhile; reload it".into()));
    }
    case_event(svc, &row.id, &staff.actor(), "resolved", &resolution).await?;
    audit(
        svc,
        staff,
        Action::WorkSupportRequests,
        row.user_id.as_deref(),
        &resolution,
        json!({ "request": row.id, "resolved_at_tier": tier }),
    )
    .await;
    Ok(row)
}

fn may_read(staff: &Staff) -> bool {
    staff.may(Action::WorkSupportRequests) || staff.may(Action::ReadSupport)
}

async fn require_read(svc: &Services, staff: &Staff) -> Result<(), StaffError> {
    if may_read(staff) { Ok(()) } else { staff.require(svc, Action::ReadSupport).await }
}

/// A request and its history.
pub async fn show(svc: &Services, staff: &Staff, id: &str) -> Result<(RequestRow, Vec<CaseEventRow>), StaffError> {
    require_read(svc, staff).await?;
    let row = load(svc, id).await?;
    let key = row.id.clone();
    let history = svc.db.run(move |conn| req_db::events(conn, &key)).await?;
    Ok((row, history))
}

/// One page of requests.
pub async fn page(
    svc: &Services,
    staff: &Staff,
    status: &str,
    q: &str,
    number: i64,
) -> Result<Page<RequestRow>, StaffError> {
    require_read(svc, staff).await?;
    let status = matches!(status, "open" | "resolved").then(|| status.to_owned());
    let (offset, limit) = Page::<RequestRow>::window(number);
    let q = q.trim().to_owned();
    let items = svc.db.run(move |conn| req_db::page(conn, status.as_deref(), &q, offset, limit)).await?;
    Ok(Page::of(items, number))
}

/// Time spent in one tier across resolved requests.
#[derive(Debug, Serialize)]
pub struct TierReport {
    /// `first_line`, `technical`, `escalation`.
    pub tier: &'static str,
    /// Resolved requests that passed through the tier.
    pub requests: i64,
    /// Mean seconds in the tier.
    pub mean_secs: i64,
    /// Longest seconds in the tier.
    pub max_secs: i64,
    /// Resolved at this tier.
    pub resolved_here: i64,
}

/// The tier report over every resolved request.
pub async fn report(svc: &Services, staff: &Staff) -> Result<Vec<TierReport>, StaffError> {
    require_read(svc, staff).await?;
    let rows = svc.db.run(req_db::resolved).await?;
    Ok((1..=3)
        .map(|tier| {
            let passed: Vec<i64> = rows
                .iter()
                .filter(|r| r.tier >= tier)
                .map(|r| match tier {
                    1 => r.tier1_secs,
                    2 => r.tier2_secs,
                    _ => r.tier3_secs,
                })
                .collect();
            let requests = passed.len() as i64;
            TierReport {
                tier: TIERS[(tier - 1) as usize],
                requests,
                mean_secs: if requests == 0 { 0 } else { passed.iter().sum::<i64>() / requests },
                max_secs: passed.iter().copied().max().unwrap_or(0),
                resolved_here: rows.iter().filter(|r| r.tier == tier).count() as i64,
            }
        })
        .collect())
}
