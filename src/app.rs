//! The services one running node shares between its workers; cheap to clone.

use std::sync::Arc;

use crate::accounts::registry::Registry;
use crate::audit::Audit;
use crate::clients::ClientRegistry;
use crate::config::Config;
use crate::credentials::PasswordVerifierPool;
use crate::db::DbPool;
use crate::federation::Federation;
use crate::jose::ServerSecrets;
use crate::keys::KeyService;
use crate::login::otp::OtpSender;
use crate::state::StateStore;

/// Everything a request may need, built once at startup.
#[derive(Clone)]
pub struct Services {
    /// Validated configuration.
    pub config: Arc<Config>,
    /// Durable storage.
    pub db: DbPool,
    /// Ephemeral state.
    pub state: StateStore,
    /// Registered clients (cached).
    pub clients: Arc<ClientRegistry>,
    /// Signing keys.
    pub keys: Arc<KeyService>,
    /// Audit log.
    pub audit: Audit,
    /// Discovery document, serialized once.
    pub discovery: Arc<[u8]>,
    /// Keys derived from the KEK (CSRF, pairwise subjects, token references).
    pub secrets: Arc<ServerSecrets>,
    /// Outbound HTTP (back-channel logout): timeouts, no redirects.
    pub outbound: reqwest::Client,
    /// Password verification threads (one per core).
    pub passwords: Arc<PasswordVerifierPool>,
    /// SMS one-time codes.
    pub otp: Arc<OtpSender>,
    /// Identity registry for standard-level checks.
    pub registry: Arc<Registry>,
    /// Upstream identity providers.
    pub federation: Arc<Federation>,
    /// WebAuthn relying party (passkeys), when the issuer's host is a domain name.
    pub webauthn: Option<Arc<webauthn_rs::Webauthn>>,
}
