//! Building a node: open storage and state, load keys, bind, serve. Every failure here
//! becomes a [`ConfigError`] naming the setting to fix.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use tokio::task::JoinHandle;

use crate::app::Services;
use crate::audit::Audit;
use crate::clients::ClientRegistry;
use crate::config::{Config, ConfigError};
use crate::credentials::PasswordVerifierPool;
use crate::db::{DbPool, migrations};
use crate::http;
use crate::jose::ServerSecrets;
use crate::keys::{self, KeyError, KeyService};
use crate::oidc::metadata::ProviderMetadata;
use crate::state::StateStore;

/// Opens the database named by `database.url` and applies pending migrations.
pub fn open_database(config: &Config) -> Result<DbPool, ConfigError> {
    let db = DbPool::connect(&config.database, config.database_pool_size, config.database_acquire_timeout)
        .map_err(|e| ConfigError::new("database.url", format!("cannot open {}: {e}", config.database.redacted())))?;
    let applied = migrations::migrate(&db).map_err(|e| ConfigError::new("database.url", e.to_string()))?;
    for version in applied {
        tracing::info!(%version, "applied migration");
    }
    Ok(db)
}

/// Loads the KEK and the signing keys (generating the first key on first start), and
/// derives the per-deployment secrets from the KEK.
pub async fn open_keys(config: &Config, db: &DbPool) -> Result<(Arc<KeyService>, ServerSecrets), ConfigError> {
    let kek = keys::load_kek(config).map_err(key_error)?;
    let secrets = ServerSecrets::derive(&kek);
    let keys = KeyService::start(db.clone(), kek, config).await.map_err(key_error)?;
    Ok((keys, secrets))
}

fn key_error(e: KeyError) -> ConfigError {
    match e {
        KeyError::Db(db) => ConfigError::new("database.url", db.to_string()),
        other => ConfigError::new("keys.kek", other.to_string()),
    }
}

/// A bound, not yet running, server with its background tasks.
pub struct Application {
    server: Server,
    port: u16,
    services: Services,
    background: Vec<JoinHandle<()>>,
    audit_writer: JoinHandle<()>,
}

impl Application {
    /// Builds a node listening on `server.bind`.
    pub async fn build(config: Config) -> Result<Self, ConfigError> {
        let listener = TcpListener::bind(config.bind)
            .map_err(|e| ConfigError::new("server.bind", format!("cannot listen on {}: {e}", config.bind)))?;
        Self::build_with_listener(config, listener).await
    }

    /// Builds a node on an already bound listener (tests bind port 0).
    pub async fn build_with_listener(config: Config, listener: TcpListener) -> Result<Self, ConfigError> {
        let db = open_database(&config)?;
        let state = StateStore::open(&config.state, &config.state_key_prefix, config.state_pool_size)
            .await
            .map_err(|e| ConfigError::new("state.url", format!("{} ({})", e, config.state.redacted())))?;
        let (keys, secrets) = open_keys(&config, &db).await?;
        let (audit, audit_writer) = Audit::batched(db.clone());
        let refresh = keys.spawn_refresh(config.key_refresh, config.key_rotation_period, audit.clone());
        let discovery: Arc<[u8]> =
            serde_json::to_vec(&ProviderMetadata::new(&config)).expect("metadata always serializes").into();
        let workers = if config.workers == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            config.workers
        };
        let clients = Arc::new(ClientRegistry::new(db.clone(), config.client_cache_ttl));
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let passwords = Arc::new(PasswordVerifierPool::start(cores));
        let outbound = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(3))
            .timeout(std::time::Duration::from_secs(5))
            .user_agent(concat!("vhod/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::new("server.bind", format!("cannot build the HTTP client: {e}")))?;
        let sms = crate::notify::SmsSender::from_config(&config.sms)
            .map_err(|e| ConfigError::new("sms.gateway", e.to_string()))?;
        let registry = crate::accounts::registry::Registry::from_config(&config.registry)
            .map_err(|e| ConfigError::new("registry.source", e.to_string()))?;
        let federation = crate::federation::Federation::new(&config.federation)
            .map_err(|e| ConfigError::new("federation.providers", e.to_string()))?;
        let webauthn = crate::login::passkey::relying_party(config.issuer.as_str()).map(Arc::new);
        if webauthn.is_none() {
            tracing::warn!("passkeys are off: the issuer's host is not a domain name (use e.g. http://localhost:8080)");
        }
        let services = Services {
            webauthn,
            federation: Arc::new(federation),
            otp: crate::login::otp::OtpSender::new(sms),
            registry: Arc::new(registry),
            outbound,
            config: Arc::new(config),
            db,
            state,
            clients,
            keys,
            audit,
            discovery,
            secrets: Arc::new(secrets),
            passwords,
        };
        match crate::accounts::resume_pending(&services).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "resumed interrupted registry checks"),
            Err(e) => tracing::warn!(error = %e, "cannot resume registry checks"),
        }
        let port = listener.local_addr().map_err(|e| ConfigError::new("server.bind", e.to_string()))?.port();
        let data = web::Data::new(services.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(http::MAX_BODY_BYTES))
                .wrap(http::security_headers())
                .wrap(from_fn(http::access_log))
                .configure(http::configure)
        })
        .workers(workers)
        .listen(listener)
        .map_err(|e| ConfigError::new("server.bind", e.to_string()))?
        .run();
        Ok(Self { server, port, services, background: vec![refresh], audit_writer })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared services (tests inspect state through them).
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGINT/SIGTERM or a handle), then drains the audit queue.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self { server, services, background, audit_writer, .. } = self;
        let result = server.await;
        for task in background {
            task.abort();
        }
        drop(services);
        if tokio::time::timeout(std::time::Duration::from_secs(10), audit_writer).await.is_err() {
            tracing::error!("audit writer did not drain within 10 s");
        }
        result
    }
}
