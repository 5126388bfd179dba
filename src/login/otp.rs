//! SMS one-time codes: sign-in, step-up, phone verification at registration and phone
//! changes. A code is 6 digits, lives `otp.code_ttl_secs`, is stored only as a keyed
//! digest and survives at most `otp.max_attempts` wrong entries. Sends are limited per
//! number and per address with a resend cooldown that doubles; repeated wrong codes
//! lock the number for `otp.lock_secs`.
//!
//! No answer reveals whether a number has an account: a sign-in for an unknown number
//! and a registration for a known one take the same path and give the same pages; the
//! first sends nothing (after the gateway's usual latency), the second sends a notice
//! instead of a code.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::now;
use crate::domain::Phone;
use crate::jose::random_token;
use crate::notify::{SmsGateway, SmsSender};
use crate::state::{EphemeralStore, StateError};

/// How long a transaction (not its code) may take end to end.
const TRANSACTION_TTL: Duration = Duration::from_secs(30 * 60);

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Sign in with phone and code.
    Login,
    /// A second factor for a signed-in citizen.
    StepUp,
    /// Verify the phone of a new account.
    Register,
    /// Verify a new phone number for a signed-in citizen.
    ChangePhone,
    /// The second step of a staff sign-in (never parsed from a citizen form).
    Staff,
}

impl Purpose {
    /// Parses the form value.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "login" => Some(Self::Login),
            "step_up" => Some(Self::StepUp),
            "register" => Some(Self::Register),
            "change_phone" => Some(Self::ChangePhone),
            _ => None,
        }
    }

    /// The form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::StepUp => "step_up",
            Self::Register => "register",
            Self::ChangePhone => "change_phone",
            Self::Staff => "staff",
        }
    }
}

/// What the message carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// A code.
    Code,
    /// A notice instead of a code (e.g. "this number already has an account").
    Notice(String),
    /// Nothing (an unknown number asked to sign in).
    Nothing,
}

/// One code exchange, kept in the state store while the citizen types.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transaction {
    /// What for.
    pub purpose: Purpose,
    /// The number, E.164.
    pub phone: String,
    /// Pending authorization request to continue afterwards.
    pub rid: Option<String>,
    /// The signed-in account (step-up, phone change).
    pub user_id: Option<String>,
    /// Digest of the browser that started it.
    pub browser: String,
    /// What was sent.
    pub delivery: Delivery,
    /// Whether the code was entered correctly.
    #[serde(default)]
    pub verified: bool,
}

/// Why a code step failed.
#[derive(Debug, thiserror::Error)]
pub enum OtpError {
    /// Wait before sending again.
    #[error("wait {0} s before asking for another code")]
    Cooldown(u64),
    /// Too many codes for this number or address in the window.
    #[error("too many codes requested")]
    TooManySends,
    /// The number is locked until this Unix time after repeated wrong codes.
    #[error("too many wrong codes")]
    Locked(i64),
    /// Wrong code.
    #[error("wrong code")]
    Invalid,
    /// The code expired, was used, or ran out of attempts; the transaction is unknown.
    #[error("the code expired")]
    Expired,
    /// The gateway failed; the citizen may retry at once.
    #[error("the SMS could not be sent")]
    Delivery,
    /// A backing store failed.
    #[error("{0}")]
    Unavailable(String),
}

impl From<StateError> for OtpError {
    fn from(e: StateError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// The SMS gateway with a running estimate of its latency (for the no-send path).
pub struct OtpSender {
    sms: SmsSender,
    latency_us: AtomicU64,
}

impl OtpSender {
    /// Wraps the configured gateway.
    pub fn new(sms: SmsSender) -> Arc<Self> {
        Arc::new(Self { sms, latency_us: AtomicU64::new(50_000) })
    }

    /// Sends a message that is not a sign-in code (activation codes from staff).
    pub async fn send_text(&self, to: &Phone, text: &str) -> Result<(), crate::notify::NotifyError> {
        self.deliver(to, Some(text)).await
    }

    async fn deliver(&self, to: &Phone, text: Option<&str>) -> Result<(), crate::notify::NotifyError> {
        let Some(text) = text else {
            // Answer no faster than a real send, so timing does not tell numbers apart.
            tokio::time::sleep(Duration::from_micros(self.latency_us.load(Ordering::Relaxed))).await;
            return Ok(());
        };
        let started = Instant::now();
        let result = self.sms.send(to, text).await;
        if result.is_ok() {
            let took = started.elapsed().as_micros().min(2_000_000) as u64;
            let old = self.latency_us.load(Ordering::Relaxed);
            self.latency_us.store((old * 7 + took) / 8, Ordering::Relaxed);
        }
        result
    }
}

/// Current time as Unix milliseconds.
fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// State keys name numbers by a keyed digest, so the store never lists phone numbers.
fn phone_key(svc: &Services, prefix: &str, phone: &str) -> String {
    format!("{prefix}:{}", svc.secrets.key_digest(phone))
}

fn tx_key(tx: &str) -> String {
    format!("otptx:{tx}")
}

fn code_key(tx: &str) -> String {
    format!("otpcode:{tx}")
}

fn attempts_key(tx: &str) -> String {
    format!("otpatt:{tx}")
}

fn new_code() -> String {
    loop {
        let mut raw = [0u8; 4];
        aws_lc_rs::rand::fill(&mut raw).expect("the system random generator failed");
        let n = u32::from_be_bytes(raw);
        // Rejection sampling keeps the six digits uniform.
        if n < u32::MAX - (u32::MAX % 1_000_000) {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

async fn read_i64(svc: &Services, key: &str) -> Result<Option<i64>, OtpError> {
    Ok(svc.state.get(key).await?.and_then(|v| String::from_utf8(v).ok()).and_then(|v| v.parse().ok()))
}

/// The Unix time until which `phone` is locked, if it is.
pub async fn locked_until(svc: &Services, phone: &str) -> Result<Option<i64>, OtpError> {
    Ok(read_i64(svc, &phone_key(svc, "otplock", phone)).await?.filter(|until| *until > now()))
}

/// Lifts the lock of a number and forgets its failures and cooldowns; returns whether
/// it was locked.
pub async fn unlock(svc: &Services, phone: &str) -> Result<bool, OtpError> {
    svc.state.delete(&phone_key(svc, "otpfail", phone)).await?;
    for purpose in [Purpose::Login, Purpose::StepUp, Purpose::Register, Purpose::ChangePhone, Purpose::Staff] {
        svc.state.delete(&phone_key(svc, &format!("otpcool:{}", purpose.as_str()), phone)).await?;
    }
    Ok(svc.state.delete(&phone_key(svc, "otplock", phone)).await?)
}

/// A transaction by id, if it is live and this browser started it.
pub async fn load(svc: &Services, tx: &str, browser: &str) -> Result<Option<Transaction>, OtpError> {
    if tx.len() != 22 {
        return Ok(None);
    }
    let found: Option<Transaction> =
        svc.state.get(&tx_key(tx)).await?.and_then(|raw| serde_json::from_slice(&raw).ok());
    Ok(found.filter(|t| subtle::ConstantTimeEq::ct_eq(t.browser.as_bytes(), browser.as_bytes()).into()))
}

async fn save(svc: &Services, tx: &str, record: &Transaction) -> Result<(), OtpError> {
    let value = serde_json::to_vec(record).expect("a transaction serializes");
    svc.state.put(&tx_key(tx), &value, TRANSACTION_TTL).await?;
    Ok(())
}

/// Starts a transaction and sends its first message; returns the transaction id.
pub async fn start(svc: &Services, record: Transaction, ip: Option<IpAddr>) -> Result<String, OtpError> {
    let tx = random_token(16);
    send(svc, &tx, &record, ip).await?;
    save(svc, &tx, &record).await?;
    Ok(tx)
}

/// Sends a fresh code for a live transaction (the old code stops working).
pub async fn resend(svc: &Services, tx: &str, record: &Transaction, ip: Option<IpAddr>) -> Result<(), OtpError> {
    send(svc, tx, record, ip).await
}

async fn send(svc: &Services, tx: &str, record: &Transaction, ip: Option<IpAddr>) -> Result<(), OtpError> {
    let policy = &svc.config.otp;
    let phone = Phone::parse(&record.phone).map_err(|_| OtpError::Expired)?;
    if let Some(until) = locked_until(svc, phone.as_str()).await? {
        return Err(OtpError::Locked(until));
    }
    let cooldown_key = phone_key(svc, &format!("otpcool:{}", record.purpose.as_str()), phone.as_str());
    // The cooldown's end is kept in milliseconds, so the wait shown is exact (rounded up).
    if let Some(until_ms) = read_i64(svc, &cooldown_key).await?
        && until_ms > now_ms()
    {
        return Err(OtpError::Cooldown(((until_ms - now_ms()) as u64).div_ceil(1000)));
    }
    let address = format!("otpsend:ip:{}", ip.map_or_else(|| "-".to_owned(), |ip| ip.to_string()));
    let sends = svc.state.incr(&phone_key(svc, "otpsend", phone.as_str()), policy.window).await?;
    let from_address = svc.state.incr(&address, policy.window).await?;
    if sends > policy.max_sends_per_phone || from_address > policy.max_sends_per_address {
        return Err(OtpError::TooManySends);
    }
    // The cooldown doubles with each code for this number and purpose in the window.
    let counter = phone_key(svc, &format!("otpsends:{}", record.purpose.as_str()), phone.as_str());
    let same_purpose = svc.state.incr(&counter, policy.window).await?;
    let wait = policy.resend_cooldown.saturating_mul(1 << (same_purpose - 1).min(6) as u32);
    if !wait.is_zero() {
        let until_ms = now_ms() + wait.as_millis() as i64;
        svc.state.put(&cooldown_key, until_ms.to_string().as_bytes(), wait).await?;
    }
    let code = new_code();
    let minutes = policy.code_ttl.as_secs().div_ceil(60);
    let text = match &record.delivery {
        Delivery::Code => Some(format!("Вход: код {code}. Никому его не сообщайте. Действует {minutes} мин.")),
        Delivery::Notice(text) => Some(text.clone()),
        Delivery::Nothing => None,
    };
    // Whatever was sent, a digest is stored: only a real code can ever match it.
    let stored = if record.delivery == Delivery::Code { code } else { random_token(16) };
    svc.state.put(&code_key(tx), svc.secrets.otp_digest(tx, &stored).as_bytes(), policy.code_ttl).await?;
    svc.state.delete(&attempts_key(tx)).await?;
    let kind = match &record.delivery {
        Delivery::Code => "code",
        Delivery::Notice(_) => "notice",
        Delivery::Nothing => "nothing",
    };
    if let Err(e) = svc.otp.deliver(&phone, text.as_deref()).await {
        svc.state.delete(&cooldown_key).await?;
        svc.state.delete(&code_key(tx)).await?;
        tracing::warn!(error = %e, "SMS delivery failed");
        let event = AuditEvent::failure(AuditKind::SmsFailed).ip(ip);
        svc.audit.record(event.detail(json!({ "purpose": record.purpose.as_str(), "error": e.to_string() }))).await;
        return Err(OtpError::Delivery);
    }
    let mut event = AuditEvent::success(AuditKind::OtpSent).ip(ip);
    if let Some(user) = &record.user_id {
        event = event.subject(user.clone());
    }
    svc.audit.record(event.detail(json!({ "purpose": record.purpose.as_str(), "sent": kind }))).await;
    Ok(())
}

/// Checks a code; on success the transaction is marked verified and returned, and
/// the code cannot be used again.
pub async fn verify(
    svc: &Services,
    tx: &str,
    browser: &str,
    code: &str,
    ip: Option<IpAddr>,
) -> Result<Transaction, OtpError> {
    let policy = &svc.config.otp;
    let Some(mut record) = load(svc, tx, browser).await? else { return Err(OtpError::Expired) };
    if let Some(until) = locked_until(svc, &record.phone).await? {
        return Err(OtpError::Locked(until));
    }
    let attempts = svc.state.incr(&attempts_key(tx), policy.code_ttl).await?;
    if attempts > policy.max_attempts {
        svc.state.delete(&code_key(tx)).await?;
        return Err(OtpError::Expired);
    }
    let Some(stored) = svc.state.get(&code_key(tx)).await? else { return Err(OtpError::Expired) };
    let code = code.trim();
    let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
    let stored = String::from_utf8_lossy(&stored).into_owned();
    if well_formed && svc.secrets.otp_matches(tx, code, &stored) {
        // Consume atomically: of two concurrent correct entries only one wins.
        if svc.state.take(&code_key(tx)).await?.is_none() {
            return Err(OtpError::Expired);
        }
        record.verified = true;
        save(svc, tx, &record).await?;
        svc.state.delete(&phone_key(svc, "otpfail", &record.phone)).await?;
        return Ok(record);
    }
    let failures = svc.state.incr(&phone_key(svc, "otpfail", &record.phone), policy.window).await?;
    let mut event = AuditEvent::failure(AuditKind::OtpFailed).ip(ip);
    if let Some(user) = &record.user_id {
        event = event.subject(user.clone());
    }
    svc.audit.record(event.detail(json!({ "purpose": record.purpose.as_str(), "attempt": attempts }))).await;
    if failures >= policy.max_failures_per_phone {
        let until = now() + policy.lock.as_secs() as i64;
        svc.state.put(&phone_key(svc, "otplock", &record.phone), until.to_string().as_bytes(), policy.lock).await?;
        svc.state.delete(&code_key(tx)).await?;
        svc.audit
            .record(
                AuditEvent::failure(AuditKind::OtpLocked)
                    .ip(ip)
                    .detail(json!({ "purpose": record.purpose.as_str(), "until": until })),
            )
            .await;
        return Err(OtpError::Locked(until));
    }
    if attempts >= policy.max_attempts {
        svc.state.delete(&code_key(tx)).await?;
        return Err(OtpError::Expired);
    }
    Err(OtpError::Invalid)
}

/// Ends a transaction (after its purpose is fulfilled); returns it if it was live.
pub async fn finish(svc: &Services, tx: &str, browser: &str) -> Result<Option<Transaction>, OtpError> {
    let Some(record) = load(svc, tx, browser).await? else { return Ok(None) };
    if svc.state.take(&tx_key(tx)).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(record))
}

/// `+7 *** ***-45-67`: enough for the citizen to recognise the number.
pub fn masked(phone: &str) -> String {
    let tail: String = phone.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let country = if phone.starts_with("+7") { "+7" } else { "+" };
    format!("{country} *** ***-{}-{}", &tail[..2], &tail[2..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_numbers_are_masked() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_eq!(masked("+79161234567"), "+7 *** ***-45-67");
        assert_eq!(Purpose::parse("step_up"), Some(Purpose::StepUp));
        assert_eq!(Purpose::parse("other"), None);
    }
}
