//! Signing in through upstream identity providers: generic OpenID Connect (with bank
//! presets), Yandex ID and VK ID. `start` keeps state, nonce and PKCE verifier in the
//! state store bound to the browser and sends it upstream; `finish` takes them back
//! (once), exchanges the code, validates what came back, and hands an
//! `UpstreamIdentity` to the account rules in `accounts::federated`.

mod oidc;
pub mod outbound;
mod social;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::accounts::federated::{self, FederatedError};
use crate::accounts::registry::FieldMismatch;
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::config::{ProviderConfig, ProviderKind};
use crate::db::models::user::UserRow;
use crate::domain::AccountLevel;
use crate::jose::random_token;
use crate::state::EphemeralStore;
use outbound::{Outbound, OutboundError};

/// How long a citizen may take at the provider.
const PENDING_TTL: Duration = Duration::from_secs(10 * 60);

/// RFC 8176 values passed on from upstream `amr`.
const KNOWN_AMR: [&str; 16] =
    ["pwd", "otp", "sms", "mfa", "hwk", "swk", "pin", "fpt", "face", "iris", "user", "pop", "sc", "tel", "kba", "geo"];

/// Why a federated sign-in failed; each becomes a page with a way back, and an audit
/// event naming the reason.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// No such provider.
    #[error("unknown identity provider")]
    UnknownProvider,
    /// The callback's `state` is unknown, used, expired, or from another browser.
    #[error("the sign-in expired or was started in another browser")]
    State,
    /// The provider answered with an error (`access_denied`…).
    #[error("the identity provider refused: {0}")]
    Upstream(String),
    /// The provider cannot be reached, timed out, or is not allowed (SSRF).
    #[error("{0}")]
    Outbound(#[from] OutboundError),
    /// The ID token or the user data is invalid.
    #[error("the identity provider's answer is invalid: {0}")]
    Invalid(String),
    /// The provider's data contradicts the account.
    #[error("the identity provider's data does not match the account")]
    Conflict(Vec<FieldMismatch>),
    /// Refused as a whole.
    #[error("{0}")]
    Refused(&'static str),
    /// A backing store failed.
    #[error("{0}")]
    Unavailable(String),
}

impl FederationError {
    /// A short stable name for the audit log.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::UnknownProvider => "unknown_provider",
            Self::State => "state",
            Self::Upstream(_) => "upstream_error",
            Self::Outbound(OutboundError::Timeout) => "timeout",
            Self::Outbound(OutboundError::Refused(_)) => "private_address",
            Self::Outbound(OutboundError::Unreachable(_)) => "unreachable",
            Self::Invalid(_) => "invalid_response",
            Self::Conflict(_) => "data_conflict",
            Self::Refused(_) => "refused",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

impl From<FederatedError> for FederationError {
    fn from(e: FederatedError) -> Self {
        match e {
            FederatedError::Conflict(fields) => Self::Conflict(fields),
            FederatedError::Refused(m) => Self::Refused(m),
            FederatedError::Unavailable(m) => Self::Unavailable(m),
        }
    }
}

impl From<crate::state::StateError> for FederationError {
    fn from(e: crate::state::StateError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// One configured provider with its HTTP client and adapter.
pub struct Provider {
    /// Configuration.
    pub config: ProviderConfig,
    outbound: Outbound,
    oidc: oidc::Metadata,
}

/// The configured providers.
pub struct Federation {
    providers: Vec<Arc<Provider>>,
    by_id: HashMap<String, Arc<Provider>>,
}

impl Federation {
    /// Builds the providers (no network access until first use).
    pub fn new(configs: &[ProviderConfig]) -> Result<Self, OutboundError> {
        let mut providers = Vec::new();
        for config in configs {
            providers.push(Arc::new(Provider {
                outbound: Outbound::new(config)?,
                oidc: oidc::Metadata::default(),
                config: config.clone(),
            }));
        }
        let by_id = providers.iter().map(|p| (p.config.id.clone(), p.clone())).collect();
        Ok(Self { providers, by_id })
    }

    /// Providers in configuration order (for buttons).
    pub fn list(&self) -> impl Iterator<Item = &ProviderConfig> {
        self.providers.iter().map(|p| &p.config)
    }

    /// A provider by id.
    pub fn get(&self, id: &str) -> Option<Arc<Provider>> {
        self.by_id.get(id).cloned()
    }
}

/// What `start` keeps until the callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// Provider id.
    pub provider: String,
    /// Nonce (OIDC).
    pub nonce: String,
    /// PKCE verifier.
    pub verifier: String,
    /// Pending authorization request to continue.
    pub rid: Option<String>,
    /// Digest of the browser that started it.
    pub browser: String,
    /// Linking from the profile: the signed-in account.
    pub link_user: Option<String>,
}

/// The callback's query.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Callback {
    /// Authorization code.
    pub code: Option<String>,
    /// State.
    pub state: Option<String>,
    /// VK ID's device id.
    pub device_id: Option<String>,
    /// Error code.
    pub error: Option<String>,
    /// Error text.
    pub error_description: Option<String>,
}

fn redirect_uri(svc: &Services, provider: &ProviderConfig) -> String {
    svc.config.issuer.endpoint(&format!("/federation/{}/callback", provider.id))
}

/// Starts a sign-in (or a link) at `provider`; returns the URL to send the browser to.
pub async fn start(
    svc: &Services,
    provider: &Provider,
    rid: Option<String>,
    browser: String,
    link_user: Option<String>,
) -> Result<String, FederationError> {
    let state = random_token(24);
    let pending = Pending {
        provider: provider.config.id.clone(),
        nonce: random_token(24),
        verifier: random_token(48),
        rid,
        browser,
        link_user,
    };
    let redirect = redirect_uri(svc, &provider.config);
    let url = match provider.config.kind {
        ProviderKind::Oidc => oidc::authorize_url(provider, &redirect, &state, &pending).await?,
        ProviderKind::Yandex | ProviderKind::Vk => {
            social::authorize_url(&provider.config, &redirect, &state, &pending)?
        }
    };
    let value = serde_json::to_vec(&pending).expect("pending federation state serializes");
    svc.state.put(&format!("fedstate:{state}"), &value, PENDING_TTL).await?;
    Ok(url)
}

/// Where a finished federation leaves the browser.
pub struct Finished {
    /// The account.
    pub user: UserRow,
    /// `amr` for the new session: `fed` plus what the provider reported.
    pub amr: Vec<String>,
    /// The pending authorization request, if any.
    pub rid: Option<String>,
    /// Linking: the account's level afterwards.
    pub linked: Option<AccountLevel>,
}

/// Takes the state back (once, this browser only), validates the provider's answer and
/// signs in to (or links) the account.
pub async fn finish(
    svc: &Services,
    provider: &Provider,
    callback: &Callback,
    browser: &str,
    ip: Option<IpAddr>,
) -> Result<Finished, (FederationError, Option<String>)> {
    let state =
        callback.state.as_deref().filter(|s| !s.is_empty() && s.len() <= 128).ok_or((FederationError::State, None))?;
    let pending: Pending = svc
        .state
        .take(&format!("fedstate:{state}"))
        .await
        .map_err(|e| (e.into(), None))?
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .ok_or((FederationError::State, None))?;
    let rid = pending.rid.clone();
    let same_browser: bool = subtle::ConstantTimeEq::ct_eq(pending.browser.as_bytes(), browser.as_bytes()).into();
    let outcome = async {
        if pending.provider != provider.config.id || !same_browser {
            return Err(FederationError::State);
        }
        if let Some(error) = &callback.error {
            let text = callback.error_description.as_deref().unwrap_or_default();
            return Err(FederationError::Upstream(format!("{error} {text}").trim().chars().take(200).collect()));
        }
        let code =
            callback.code.as_deref().filter(|c| !c.is_empty()).ok_or(FederationError::Invalid("no code".into()))?;
        let redirect = redirect_uri(svc, &provider.config);
        let upstream = match provider.config.kind {
            ProviderKind::Oidc => oidc::finish(provider, &redirect, code, &pending).await?,
            ProviderKind::Yandex => social::yandex(provider, &redirect, code, &pending).await?,
            ProviderKind::Vk => social::vk(provider, &redirect, code, callback, state, &pending).await?,
        };
        let mut amr = vec!["fed".to_owned()];
        amr.extend(upstream.amr.iter().filter(|m| KNOWN_AMR.contains(&m.as_str())).cloned());
        if let Some(user_id) = &pending.link_user {
            let level = federated::link(svc, &provider.config, user_id, &upstream).await?;
            let id = user_id.clone();
            let user = svc
                .db
                .run(move |conn| crate::db::models::user::find_by_id(conn, &id))
                .await
                .map_err(|e| FederationError::Unavailable(e.to_string()))?
                .ok_or(FederationError::Refused("no such account"))?;
            return Ok(Finished { user, amr, rid: pending.rid.clone(), linked: Some(level) });
        }
        let user = federated::sign_in(svc, &provider.config, &upstream).await?;
        Ok(Finished { user, amr, rid: pending.rid.clone(), linked: None })
    }
    .await;
    match &outcome {
        // Success is audited with the session it starts (or the link it made).
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(provider = %provider.config.id, error = %e, "federated sign-in failed");
            svc.audit
                .record(
                    AuditEvent::failure(AuditKind::FederationFailed).ip(ip).detail(
                        json!({ "provider": provider.config.id, "reason": e.reason(), "error": e.to_string() }),
                    ),
                )
                .await;
        }
    }
    outcome.map_err(|e| (e, rid))
}
