//! Cross-device sign-in by QR code. The sign-in page of the waiting browser shows a QR
//! code for a one-time, 2-minute transaction; a phone already signed in to Vhod opens
//! it (the transaction lives `session.qr_ttl_secs`, 2 minutes by default), sees which device, browser, address and application are asking, and approves or
//! rejects. The waiting browser then completes the transaction once — only that
//! browser — and gets a session whose `amr` is `mca` (multiple-channel) plus the
//! phone session's own methods.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Session;
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::now;
use crate::jose::random_token;
use crate::state::{EphemeralStore, StateError};

/// QR transactions one address may create per window.
const MAX_PER_ADDRESS: u64 = 60;
/// That window.
const WINDOW: Duration = Duration::from_secs(600);

/// Where a transaction stands.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QrStatus {
    /// Waiting for the phone.
    Pending,
    /// Approved on the phone.
    Approved {
        /// The account.
        user_id: String,
        /// The phone session's methods.
        amr: Vec<String>,
        /// The account level.
        level: String,
    },
    /// Rejected on the phone.
    Rejected,
}

/// A QR sign-in transaction.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QrLogin {
    /// Pending authorization request of the waiting browser.
    pub rid: Option<String>,
    /// Digest of the waiting browser.
    pub browser: String,
    /// The application asking, shown on the phone.
    pub client_name: Option<String>,
    /// The waiting browser's User-Agent, shortened.
    pub user_agent: String,
    /// The waiting browser's address.
    pub ip: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Where it stands.
    pub status: QrStatus,
}

/// What completing a transaction gives the waiting browser.
#[derive(Debug)]
pub enum Completion {
    /// Signed in.
    SignedIn {
        /// The new session.
        session: Session,
        /// Pending request to continue.
        rid: Option<String>,
    },
    /// Still waiting for the phone.
    Pending,
    /// Rejected on the phone.
    Rejected {
        /// Pending request to go back to.
        rid: Option<String>,
    },
    /// Unknown, expired, used, or another browser's.
    Gone,
}

fn key(token: &str) -> String {
    format!("qrlogin:{token}")
}

async fn save(svc: &Services, token: &str, qr: &QrLogin) -> Result<(), StateError> {
    let left = (qr.created_at + svc.config.qr_ttl.as_secs() as i64 - now()).max(1) as u64;
    let value = serde_json::to_vec(qr).expect("a QR transaction serializes");
    svc.state.put(&key(token), &value, Duration::from_secs(left)).await
}

/// A live transaction.
pub async fn load(svc: &Services, token: &str) -> Result<Option<QrLogin>, StateError> {
    if token.len() != 22 {
        return Ok(None);
    }
    Ok(svc.state.get(&key(token)).await?.and_then(|raw| serde_json::from_slice(&raw).ok()))
}

/// Starts a transaction for the waiting browser; `None` when its address made too many.
pub async fn create(
    svc: &Services,
    rid: Option<String>,
    browser: String,
    client_name: Option<String>,
    user_agent: &str,
    ip: Option<IpAddr>,
) -> Result<Option<String>, StateError> {
    let counter = format!("qrcreate:{}", ip.map_or_else(|| "-".to_owned(), |ip| ip.to_string()));
    if svc.state.incr(&counter, WINDOW).await? > MAX_PER_ADDRESS {
        return Ok(None);
    }
    let token = random_token(16);
    let qr = QrLogin {
        rid,
        browser,
        client_name,
        user_agent: user_agent.chars().filter(|c| !c.is_control()).take(160).collect(),
        ip: ip.map(|ip| ip.to_string()),
        created_at: now(),
        status: QrStatus::Pending,
    };
    save(svc, &token, &qr).await?;
    Ok(Some(token))
}

/// The phone's decision; only a pending transaction can be decided, once.
pub async fn decide(
    svc: &Services,
    token: &str,
    phone: &Session,
    approve: bool,
    ip: Option<IpAddr>,
) -> Result<bool, StateError> {
    let Some(mut qr) = load(svc, token).await? else { return Ok(false) };
    if qr.status != QrStatus::Pending {
        return Ok(false);
    }
    qr.status = if approve {
        QrStatus::Approved { user_id: phone.user_id.clone(), amr: phone.amr.clone(), level: phone.level.clone() }
    } else {
        QrStatus::Rejected
    };
    save(svc, token, &qr).await?;
    svc.audit
        .record(
            AuditEvent::success(AuditKind::QrDecided)
                .subject(phone.user_id.clone())
                .ip(ip)
                .detail(json!({ "approved": approve, "waiting_ip": qr.ip })),
        )
        .await;
    Ok(true)
}

/// Completes a decided transaction for the browser that started it (once).
pub async fn complete(svc: &Services, token: &str, browser: &str) -> Result<Completion, StateError> {
    let Some(qr) = load(svc, token).await? else { return Ok(Completion::Gone) };
    if !bool::from(subtle::ConstantTimeEq::ct_eq(qr.browser.as_bytes(), browser.as_bytes())) {
        return Ok(Completion::Gone);
    }
    if qr.status == QrStatus::Pending {
        return Ok(Completion::Pending);
    }
    // Take it atomically: it completes once.
    let Some(raw) = svc.state.take(&key(token)).await? else { return Ok(Completion::Gone) };
    let Ok(qr) = serde_json::from_slice::<QrLogin>(&raw) else { return Ok(Completion::Gone) };
    Ok(match qr.status {
        QrStatus::Approved { user_id, amr, level } => {
            let mut methods = vec!["mca".to_owned()];
            methods.extend(amr.into_iter().filter(|m| m != "mca"));
            let level = crate::domain::AccountLevel::parse(&level).unwrap_or(crate::domain::AccountLevel::Simplified);
            Completion::SignedIn { session: Session::new(user_id, methods, level), rid: qr.rid }
        }
        QrStatus::Rejected => Completion::Rejected { rid: qr.rid },
        QrStatus::Pending => Completion::Pending,
    })
}

/// The QR code of `url` as an SVG image.
pub fn svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(220, 220).quiet_zone(true).build())
}
