//! Staff accounts (created and managed by the CLI and the admin API), their sign-in —
//! a password, then a one-time code to the member's phone — and staff sessions, kept in
//! the state store under a digest of the cookie like citizens' sessions.

use std::net::IpAddr;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Role, Staff, StaffError, invalid};
use crate::app::Services;
use crate::audit::{Audit, AuditEvent, AuditKind};
use crate::credentials::hash_password;
use crate::db::models::staff::{self as staff_db, StaffRow};
use crate::db::{DbError, DbPool, now};
use crate::domain::Phone;
use crate::jose::random_token;
use crate::state::EphemeralStore;

/// How long a staff session lasts (a working day), however active.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// Wrong passwords per user name before it is locked for [`LOCKOUT`].
const MAX_FAILURES: u64 = 5;
/// Lockout window.
const LOCKOUT: Duration = Duration::from_secs(15 * 60);

/// A staff account as the CLI and the admin API create or change it.
#[derive(Debug, Clone, Default)]
pub struct StaffSpec {
    /// Sign-in name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Phone for sign-in codes.
    pub phone: String,
    /// Role names.
    pub roles: Vec<String>,
    /// Office or organisation.
    pub office: String,
    /// Disabled.
    pub disabled: bool,
}

/// A member as listed (never the password hash).
#[derive(Debug, Clone, Serialize)]
pub struct StaffView {
    /// Sign-in name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Phone for sign-in codes.
    pub phone: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Office.
    pub office: String,
    /// Disabled.
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
}

impl From<&StaffRow> for StaffView {
    fn from(row: &StaffRow) -> Self {
        Self {
            username: row.username.clone(),
            display_name: row.display_name.clone(),
            phone: row.phone.clone(),
            roles: row.roles.split(' ').filter(|r| !r.is_empty()).map(str::to_owned).collect(),
            office: row.office.clone(),
            disabled: row.disabled,
            created_at: row.created_at,
        }
    }
}

/// A checked spec: lowercase user name, E.164 phone, known roles.
fn checked(spec: &StaffSpec) -> Result<(String, String, String), StaffError> {
    let username = spec.username.trim().to_lowercase();
    if !(3..=64).contains(&username.len())
        || !username.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(invalid("username", "3 to 64 characters: latin letters, digits, `.`, `_`, `-`"));
    }
    let phone = Phone::parse(&spec.phone).map_err(|e| invalid("phone", e.0))?;
    if spec.roles.is_empty() {
        return Err(invalid("roles", "give at least one role"));
    }
    let mut roles = Vec::new();
    for raw in &spec.roles {
        let role = Role::parse(raw.trim()).ok_or_else(|| {
            let known: Vec<&str> = super::ROLES.iter().map(|r| r.as_str()).collect();
            invalid("roles", format!("unknown role `{raw}`; roles are {}", known.join(", ")))
        })?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    roles.sort();
    if spec.display_name.trim().is_empty() || spec.display_name.chars().count() > 200 {
        return Err(invalid("display_name", "give the member's name (at most 200 characters)"));
    }
    if spec.office.trim().is_empty() || spec.office.chars().count() > 200 {
        return Err(invalid("office", "give the office or organisation (at most 200 characters)"));
    }
    let roles = roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" ");
    Ok((username, phone.as_str().to_owned(), roles))
}

async fn hash(password: SecretString) -> Result<String, StaffError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| StaffError::Unavailable(e.to_string()))?
        .map_err(|e| StaffError::Unavailable(e.to_string()))
}

/// Creates a member with a generated initial password, returned once.
pub async fn create(
    db: &DbPool,
    audit: &Audit,
    actor: &str,
    spec: &StaffSpec,
) -> Result<(StaffView, SecretString), StaffError> {
    let (username, phone, roles) = checked(spec)?;
    let password = SecretString::from(random_token(18));
    let at = now();
    let row = StaffRow {
        id: random_token(16),
        username,
        display_name: spec.display_name.trim().to_owned(),
        password_hash: hash(password.clone()).await?,
        phone,
        roles,
        office: spec.office.trim().to_owned(),
        disabled: spec.disabled,
        created_at: at,
        updated_at: at,
    };
    let inserted = row.clone();
    db.run(move |conn| staff_db::insert(conn, &inserted)).await.map_err(|e| match e {
        DbError::Conflict => invalid("username", "this user name is taken"),
        other => other.into(),
    })?;
    let view = StaffView::from(&row);
    audit
        .record(
            AuditEvent::success(AuditKind::StaffAction)
                .actor(actor.to_owned())
                .detail(json!({ "action": "staff_created", "member": view })),
        )
        .await;
    Ok((view, password))
}

async fn find(db: &DbPool, username: &str) -> Result<StaffRow, StaffError> {
    let name = username.trim().to_lowercase();
    db.run(move |conn| staff_db::find_by_username(conn, &name)).await?.ok_or(StaffError::NotFound("staff member"))
}

/// Changes a member's name, phone, roles, office or disabled flag.
pub async fn update(db: &DbPool, audit: &Audit, actor: &str, spec: &StaffSpec) -> Result<StaffView, StaffError> {
    let mut row = find(db, &spec.username).await?;
    let (_, phone, roles) = checked(spec)?;
    row.display_name = spec.display_name.trim().to_owned();
    row.phone = phone;
    row.roles = roles;
    row.office = spec.office.trim().to_owned();
    row.disabled = spec.disabled;
    row.updated_at = now();
    let written = row.clone();
    db.run(move |conn| staff_db::update(conn, &written)).await?;
    let view = StaffView::from(&row);
    audit
        .record(
            AuditEvent::success(AuditKind::StaffAction)
                .actor(actor.to_owned())
                .detail(json!({ "action": "staff_updated", "member": view })),
        )
        .await;
    Ok(view)
}

/// Replaces a member's password with a generated one, returned once (a lockout from
/// wrong passwords still runs out by itself).
pub async fn reset_password(
    db: &DbPool,
    audit: &Audit,
    actor: &str,
    username: &str,
) -> Result<SecretString, StaffError> {
    let mut row = find(db, username).await?;
    let password = SecretString::from(random_token(18));
    row.password_hash = hash(password.clone()).await?;
    row.updated_at = now();
    let name = row.username.clone();
    db.run(move |conn| staff_db::update(conn, &row)).await?;
    audit
        .record(
            AuditEvent::success(AuditKind::StaffAction)
                .actor(actor.to_owned())
                .detail(json!({ "action": "staff_password_reset", "username": name })),
        )
        .await;
    Ok(password)
}

/// Every member.
pub async fn list(db: &DbPool) -> Result<Vec<StaffView>, StaffError> {
    Ok(db.run(staff_db::list).await?.iter().map(StaffView::from).collect())
}

/// One member.
pub async fn show(db: &DbPool, username: &str) -> Result<StaffView, StaffError> {
    Ok(StaffView::from(&find(db, username).await?))
}

fn failures_key(svc: &Services, username: &str) -> String {
    format!("stafffail:{}", svc.secrets.key_digest(&username.trim().to_lowercase()))
}

/// Why a staff sign-in failed (one answer for unknown, wrong and disabled).
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong user name or password, or a disabled account.
    #[error("wrong user name or password")]
    Invalid,
    /// Too many failures for this user name.
    #[error("too many failures; try again later")]
    Locked,
    /// A backing store failed.
    #[error("{0}")]
    Unavailable(String),
}

impl From<DbError> for SignInError {
    fn from(e: DbError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<crate::state::StateError> for SignInError {
    fn from(e: crate::state::StateError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// The password step of a staff sign-in; returns the member (the code step follows).
pub async fn check_password(
    svc: &Services,
    username: &str,
    password: SecretString,
    ip: Option<IpAddr>,
) -> Result<StaffRow, SignInError> {
    let key = failures_key(svc, username);
    if svc.state.count(&key).await? >= MAX_FAILURES {
        svc.audit
            .record(AuditEvent::failure(AuditKind::StaffLoginFailed).ip(ip).detail(json!({ "locked": true })))
            .await;
        return Err(SignInError::Locked);
    }
    let name = username.trim().to_lowercase();
    let row = svc.db.run(move |conn| staff_db::find_by_username(conn, &name)).await?;
    let phc = row.as_ref().map_or_else(|| crate::login::password::dummy_hash().to_owned(), |r| r.password_hash.clone());
    let matches = svc.passwords.verify(password, phc).await.map_err(|e| SignInError::Unavailable(e.to_string()))?;
    match row {
        Some(row) if matches && !row.disabled => {
            svc.state.delete(&key).await?;
            Ok(row)
        }
        row => {
            svc.state.incr(&key, LOCKOUT).await?;
            let mut event = AuditEvent::failure(AuditKind::StaffLoginFailed).ip(ip);
            if let Some(row) = row {
                event = event.actor(format!("staff:{}", row.username));
            }
            svc.audit.record(event).await;
            Err(SignInError::Invalid)
        }
    }
}

/// A staff session record.
#[derive(Debug, Serialize, Deserialize)]
struct SessionRecord {
    staff_id: String,
    started_at: i64,
}

fn session_key(cookie: &str) -> String {
    crate::oidc::flow::digest_key("staffsession", cookie)
}

/// Starts a session for a member who passed both steps; returns the cookie value.
pub async fn start_session(svc: &Services, row: &StaffRow, ip: Option<IpAddr>) -> Result<String, StaffError> {
    let cookie = random_token(32);
    let record = SessionRecord { staff_id: row.id.clone(), started_at: now() };
    let value = serde_json::to_vec(&record).expect("a record serializes");
    svc.state.put(&session_key(&cookie), &value, SESSION_TTL).await?;
    svc.audit
        .record(
            AuditEvent::success(AuditKind::StaffSignedIn)
                .actor(format!("staff:{}", row.username))
                .ip(ip)
                .detail(json!({ "office": row.office, "amr": ["pwd", "sms", "mfa"] })),
        )
        .await;
    Ok(cookie)
}

/// The member a session cookie names, if the session is live, the member enabled and
/// not changed since the session started.
pub async fn from_session(svc: &Services, cookie: &str) -> Result<Option<Staff>, StaffError> {
    if cookie.len() != 43 {
        return Ok(None);
    }
    let Some(raw) = svc.state.get(&session_key(cookie)).await? else { return Ok(None) };
    let Ok(record) = serde_json::from_slice::<SessionRecord>(&raw) else { return Ok(None) };
    let id = record.staff_id;
    let Some(row) = svc.db.run(move |conn| staff_db::find(conn, &id)).await? else { return Ok(None) };
    // A disabled member, or one changed since signing in (new password, phone or roles),
    // must sign in again.
    if row.disabled || row.updated_at > record.started_at {
        return Ok(None);
    }
    Ok(Some(Staff {
        id: row.id,
        username: row.username,
        display_name: row.display_name,
        roles: row.roles.split(' ').filter_map(Role::parse).collect(),
        office: row.office,
    }))
}

/// Ends a staff session.
pub async fn end_session(svc: &Services, cookie: &str) -> Result<(), StaffError> {
    svc.state.delete(&session_key(cookie)).await?;
    Ok(())
}
