//! The append-only audit log. Every token issuance, client-authentication failure and
//! administrative change goes through [`Audit::record`].
//!
//! In the server, events go through a bounded channel to one writer task that appends
//! them in batches (one transaction per batch), so issuing a token does not wait for a
//! database write; when the channel is full, callers wait (back-pressure) rather than
//! drop events. The CLI writes directly. See `docs/decisions/0003-batched-audit-writes.md`.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::db::DbPool;
use crate::db::models::audit_event::{self, NewAuditEvent};

/// Largest batch appended in one transaction.
const BATCH: usize = 256;
/// How long the writer waits for more events before appending a batch.
const GATHER: Duration = Duration::from_millis(20);
/// Channel capacity before callers wait.
const CAPACITY: usize = 8192;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    /// An access token was issued.
    TokenIssued,
    /// A client failed to authenticate.
    ClientAuthFailed,
    /// A client was refused because it is locked out after repeated failures.
    ClientAuthLocked,
    /// A client was registered.
    ClientCreated,
    /// A client was deleted.
    ClientDeleted,
    /// A client's metadata changed.
    ClientUpdated,
    /// A client's secret was replaced.
    ClientSecretRotated,
    /// A signing key was rotated in.
    KeyRotated,
    /// A signing key was generated.
    KeyGenerated,
    /// A user account was created.
    UserCreated,
    /// A citizen signed in.
    LoginSucceeded,
    /// A sign-in attempt failed.
    LoginFailed,
    /// A sign-in attempt was refused by the lockout.
    LoginLocked,
    /// A citizen allowed or denied a client.
    ConsentDecided,
    /// A consent was revoked.
    ConsentRevoked,
    /// An authorization code was used twice; what it issued was revoked.
    CodeReused,
    /// A rotated refresh token was used again; its family was revoked.
    RefreshReused,
    /// A browser session ended.
    LoggedOut,
    /// A token was revoked at the revocation endpoint.
    TokenRevoked,
    /// A client asked about a token that is not its own.
    IntrospectionDenied,
    /// A client tried to revoke a token that is not its own.
    RevocationDenied,
    /// A back-channel logout token was delivered (or given up on).
    BackchannelLogout,
    /// An initial access token for dynamic registration was issued.
    RegistrationTokenIssued,
    /// A client registered itself.
    ClientRegistered,
    /// A one-time code was sent (or a notice in its place).
    OtpSent,
    /// The SMS gateway failed.
    SmsFailed,
    /// A wrong one-time code was entered.
    OtpFailed,
    /// A number was locked after repeated wrong codes.
    OtpLocked,
    /// A citizen registered an account.
    AccountRegistered,
    /// A citizen changed identity data or sign-in methods.
    AccountChanged,
    /// A registry check finished.
    RegistryChecked,
    /// An account's level changed.
    LevelChanged,
    /// A sign-in through an upstream identity provider failed.
    FederationFailed,
    /// A device started the device authorization grant.
    DeviceAuthorized,
    /// A wrong user code was typed at `/device`.
    DeviceCodeGuessed,
    /// The citizen approved or denied a device.
    DeviceDecided,
    /// A phone approved or rejected a QR sign-in.
    QrDecided,
    /// A staff member acted (or was refused), with office, citizen and reason.
    StaffAction,
    /// A staff member signed in.
    StaffSignedIn,
    /// A staff sign-in failed.
    StaffLoginFailed,
    /// A citizen used an assisted code (activation, post confirmation, temporary access).
    CodeRedeemed,
    /// A representative chose to act for a principal, or stopped.
    ActingChanged,
}

impl AuditKind {
    /// Stable dotted name stored in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenIssued => "token.issued",
            Self::ClientAuthFailed => "client.auth_failed",
            Self::ClientAuthLocked => "client.auth_locked",
            Self::ClientCreated => "client.created",
            Self::ClientDeleted => "client.deleted",
            Self::ClientUpdated => "client.updated",
            Self::ClientSecretRotated => "client.secret_rotated",
            Self::KeyRotated => "key.rotated",
            Self::KeyGenerated => "key.generated",
            Self::UserCreated => "user.created",
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::LoginLocked => "login.locked",
            Self::ConsentDecided => "consent.decided",
            Self::ConsentRevoked => "consent.revoked",
            Self::CodeReused => "code.reused",
            Self::RefreshReused => "refresh.reused",
            Self::LoggedOut => "session.ended",
            Self::TokenRevoked => "token.revoked",
            Self::IntrospectionDenied => "introspection.denied",
            Self::RevocationDenied => "revocation.denied",
            Self::BackchannelLogout => "logout.backchannel",
            Self::RegistrationTokenIssued => "registration.token_issued",
            Self::ClientRegistered => "client.registered",
            Self::OtpSent => "otp.sent",
            Self::SmsFailed => "sms.failed",
            Self::OtpFailed => "otp.failed",
            Self::OtpLocked => "otp.locked",
            Self::AccountRegistered => "account.registered",
            Self::AccountChanged => "account.changed",
            Self::RegistryChecked => "registry.checked",
            Self::LevelChanged => "account.level_changed",
            Self::FederationFailed => "federation.failed",
            Self::DeviceAuthorized => "device.authorized",
            Self::DeviceCodeGuessed => "device.code_guessed",
            Self::DeviceDecided => "device.decided",
            Self::QrDecided => "qr.decided",
            Self::StaffAction => "staff.action",
            Self::StaffSignedIn => "staff.signed_in",
            Self::StaffLoginFailed => "staff.login_failed",
            Self::CodeRedeemed => "code.redeemed",
            Self::ActingChanged => "account.acting",
        }
    }
}

/// One event, built with the `with_*` methods.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    kind: AuditKind,
    success: bool,
    actor: Option<String>,
    client_id: Option<String>,
    subject: Option<String>,
    ip: Option<IpAddr>,
    detail: Value,
}

impl AuditEvent {
    /// A successful event.
    pub fn success(kind: AuditKind) -> Self {
        Self { kind, success: true, actor: None, client_id: None, subject: None, ip: None, detail: Value::Null }
    }

    /// A failed or refused event.
    pub fn failure(kind: AuditKind) -> Self {
        Self { success: false, ..Self::success(kind) }
    }

    /// Who acted.
    pub fn actor(mut self, actor: impl Into<String>) -> Self {
        self.actor = Some(actor.into());
        self
    }

    /// The client concerned.
    pub fn client(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The subject concerned.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The remote address.
    pub fn ip(mut self, ip: Option<IpAddr>) -> Self {
        self.ip = ip;
        self
    }

    /// Structured details (never secrets).
    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }

    fn into_row(self) -> NewAuditEvent {
        let at_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        NewAuditEvent {
            at_ms,
            kind: self.kind.as_str().to_owned(),
            outcome: if self.success { "success" } else { "failure" }.to_owned(),
            actor: self.actor,
            client_id: self.client_id,
            subject: self.subject,
            ip: self.ip.map(|ip| ip.to_string()),
            detail: if self.detail.is_null() { "{}".to_owned() } else { self.detail.to_string() },
        }
    }
}

#[derive(Clone)]
enum Sink {
    Batched(mpsc::Sender<NewAuditEvent>),
    Direct(DbPool),
}

/// Handle to the audit log; cheap to clone.
#[derive(Clone)]
pub struct Audit {
    sink: Sink,
}

impl Audit {
    /// Writes each event before `record` returns (CLI).
    pub fn direct(db: DbPool) -> Self {
        Self { sink: Sink::Direct(db) }
    }

    /// Starts the batching writer; the task ends once every handle is dropped and the
    /// queue is drained.
    pub fn batched(db: DbPool) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(CAPACITY);
        let task = tokio::spawn(write_batches(db, rx));
        (Self { sink: Sink::Batched(tx) }, task)
    }

    /// Records an event. Failures to store it are logged, never shown to the caller.
    pub async fn record(&self, event: AuditEvent) {
        tracing::info!(
            target: "audit",
            kind = event.kind.as_str(),
            success = event.success,
            client.id = event.client_id.as_deref(),
            subject = event.subject.as_deref(),
            actor = event.actor.as_deref(),
            "audit event"
        );
        let row = event.into_row();
        match &self.sink {
            Sink::Batched(tx) => {
                if tx.send(row).await.is_err() {
                    tracing::error!("audit writer has stopped; event lost");
                }
            }
            Sink::Direct(db) => {
                let rows = vec![row];
                if let Err(e) = db.run(move |conn| audit_event::insert_all(conn, &rows)).await {
                    tracing::error!(error = %e, "audit event could not be stored");
                }
            }
        }
    }
}

async fn write_batches(db: DbPool, mut rx: mpsc::Receiver<NewAuditEvent>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        // Let a busy server fill the batch: one transaction and one wake-up per
        // interval instead of one per event.
        if batch.len() < BATCH {
            tokio::time::sleep(GATHER).await;
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(event) => batch.push(event),
                    Err(_) => break,
                }
            }
        }
        let rows = std::sync::Arc::new(std::mem::take(&mut batch));
        for attempt in 0u32.. {
            let pending = rows.clone();
            match db.run(move |conn| audit_event::insert_all(conn, &pending)).await {
                Ok(()) => break,
                Err(e) if attempt >= 5 => {
                    tracing::error!(error = %e, lost = rows.len(), "audit batch could not be stored after retries");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "audit batch not stored yet; retrying");
                    tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                }
            }
        }
    }
}
