//! Typed, layered configuration: built-in defaults → `vhod.toml` (or `--config FILE`)
//! → `VHOD__SECTION__KEY` environment variables. Loaded once in `main` and passed in;
//! nothing reads configuration from a global.
//!
//! Raw [`Settings`] are what the layers deserialize into; [`Settings::validate`] turns
//! them into a [`Config`] whose fields are already parsed (URLs, backends, durations),
//! so a wrong value stops startup with one line naming the setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod citizens;
mod federation;

pub use citizens::{
    HttpSmsConfig, OtpPolicy, OtpSettings, RegistrySettings, RegistrySource, SmsGatewayConfig, SmsSettings,
};
pub use federation::{Endpoints, FederationSettings, ProviderConfig, ProviderKind, ProviderSettings};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The configuration file read when no `--config` is given and it exists.
pub const DEFAULT_CONFIG_FILE: &str = "vhod.toml";
/// Prefix of environment variables that override the file: `VHOD__SERVER__BIND`.
pub const ENV_PREFIX: &str = "VHOD__";

/// A setting that could not be used; the message names the setting and its variable.
#[derive(Debug, thiserror::Error)]
#[error("{setting} ({env}): {message}")]
pub struct ConfigError {
    /// Dotted setting name, e.g. `database.url`.
    pub setting: String,
    /// The environment variable that sets it.
    pub env: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    /// An error about the setting `setting` (dotted form).
    pub fn new(setting: &str, message: impl Into<String>) -> Self {
        let env = format!("{ENV_PREFIX}{}", setting.replace('.', "__").to_uppercase());
        // One line: drivers (libpq) add indented hint lines.
        let message = message.into().split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
        Self { setting: setting.to_owned(), env, message }
    }
}

/// Raw settings as written in the file and environment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// HTTP listener and public identity.
    pub server: ServerSettings,
    /// Durable storage.
    pub database: DatabaseSettings,
    /// Ephemeral state (sessions, codes, counters).
    pub state: StateSettings,
    /// Signing keys and their encryption.
    pub keys: KeySettings,
    /// Token lifetimes.
    pub tokens: TokenSettings,
    /// Limits on guessing surfaces.
    pub security: SecuritySettings,
    /// Client registry.
    pub clients: ClientSettings,
    /// Browser sessions.
    pub session: SessionSettings,
    /// Dynamic client registration.
    pub registration: RegistrationSettings,
    /// Outgoing SMS.
    pub sms: SmsSettings,
    /// One-time codes.
    pub otp: OtpSettings,
    /// Identity registry.
    pub registry: RegistrySettings,
    /// Upstream identity providers.
    pub federation: FederationSettings,
    /// Logging.
    pub log: LogSettings,
}

/// `[server]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on.
    pub bind: String,
    /// The issuer identifier, exactly as relying parties will see it.
    pub issuer: String,
    /// Number of HTTP worker threads; 0 means one per core.
    pub workers: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self { bind: "127.0.0.1:8080".into(), issuer: "http://127.0.0.1:8080".into(), workers: 0 }
    }
}

/// `[database]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` or `postgres://…`; may carry a password, so it is secret.
    #[serde(serialize_with = "expose")]
    pub url: SecretString,
    /// Maximum pooled connections.
    pub pool_size: u32,
    /// How long a request waits for a connection before the database counts as down.
    pub acquire_timeout_secs: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self { url: SecretString::from("sqlite://data/vhod.db"), pool_size: 8, acquire_timeout_secs: 3 }
    }
}

/// `[state]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateSettings {
    /// `memory` or `redis://…`; may carry a password, so it is secret.
    #[serde(serialize_with = "expose")]
    pub url: SecretString,
    /// Prefix of every key Vhod writes to Redis.
    pub key_prefix: String,
    /// Maximum pooled Redis connections.
    pub pool_size: usize,
}

impl Default for StateSettings {
    fn default() -> Self {
        Self { url: SecretString::from("memory"), key_prefix: "vhod:".into(), pool_size: 16 }
    }
}

/// `[keys]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeySettings {
    /// The key-encryption key itself (base64 of 32 bytes); wins over `kek_file`.
    #[serde(serialize_with = "expose_opt")]
    pub kek: Option<SecretString>,
    /// File holding the key-encryption key (base64 of 32 bytes).
    pub kek_file: PathBuf,
    /// Generate `kek_file` when it is missing (development only; warns loudly).
    pub generate_kek: bool,
    /// How long a rotated-in key is published in JWKS before it starts signing.
    pub prepublish_secs: u64,
    /// How often each node re-reads the key set from the database.
    pub refresh_secs: u64,
    /// Rotate automatically when the newest key is this old (0 = only by hand).
    pub rotation_period_secs: u64,
}

impl Default for KeySettings {
    fn default() -> Self {
        Self {
            kek: None,
            kek_file: PathBuf::from("keys/kek.b64"),
            generate_kek: true,
            prepublish_secs: 600,
            refresh_secs: 30,
            rotation_period_secs: 90 * 86_400,
        }
    }
}

/// `[tokens]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenSettings {
    /// Access-token lifetime in seconds.
    pub access_token_ttl_secs: u64,
    /// ID-token lifetime in seconds.
    pub id_token_ttl_secs: u64,
    /// Refresh-token lifetime in seconds (each rotation starts a new one).
    pub refresh_token_ttl_secs: u64,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self { access_token_ttl_secs: 900, id_token_ttl_secs: 900, refresh_token_ttl_secs: 30 * 86_400 }
    }
}

/// `[registration]`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrationSettings {
    /// Serve and advertise `/register` (each registration still needs an initial access
    /// token from `vhod registration token`).
    pub enabled: bool,
}

/// `[session]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    /// Lifetime of a browser session (single sign-on), in seconds.
    pub ttl_secs: u64,
    /// Lifetime of a cross-device (QR code) sign-in transaction, in seconds.
    pub qr_ttl_secs: u64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self { ttl_secs: 8 * 3600, qr_ttl_secs: 120 }
    }
}

/// `[clients]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientSettings {
    /// How long a node trusts its cached copy of a client (0 = no cache).
    pub cache_ttl_secs: u64,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self { cache_ttl_secs: 10 }
    }
}

/// `[security]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecuritySettings {
    /// Failed client authentications from one address before that client is locked there.
    pub client_auth_max_failures: u64,
    /// How long the lock (and the counting window) lasts, in seconds.
    pub client_auth_lockout_secs: u64,
    /// Failed sign-ins for one account before it is locked.
    pub login_max_failures: u64,
    /// Failed sign-ins from one address (any account) before the address is locked.
    pub login_ip_max_failures: u64,
    /// Sign-in lockout and counting window, in seconds.
    pub login_lockout_secs: u64,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            client_auth_max_failures: 10,
            client_auth_lockout_secs: 300,
            login_max_failures: 5,
            login_ip_max_failures: 50,
            login_lockout_secs: 900,
        }
    }
}

/// `[log]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: String,
    /// A `tracing` filter, e.g. `info` or `vhod=debug,info`; `RUST_LOG` wins when set.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self { format: "text".into(), level: "info".into() }
    }
}

fn expose<S: serde::Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

fn expose_opt<S: serde::Serializer>(secret: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(v) => s.serialize_some(v.expose_secret()),
        None => s.serialize_none(),
    }
}

impl Settings {
    /// Loads defaults, then `file` (which must exist when given explicitly, else
    /// `vhod.toml` when present), then `VHOD__…` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(path) if !path.is_file() => {
                return Err(ConfigError {
                    setting: "--config".into(),
                    env: "VHOD_CONFIG".into(),
                    message: format!("no such file: {}", path.display()),
                });
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE))
            }
            None => {}
        }
        figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__"));
        figment.extract().map_err(figment_error)
    }

    /// Parses every setting into its typed form.
    pub fn validate(&self) -> Result<Config, ConfigError> {
        let bind: SocketAddr =
            self.server.bind.parse().map_err(|e| {
                ConfigError::new("server.bind", format!("not an address:port ({e}): {}", self.server.bind))
            })?;
        let issuer = Issuer::parse(&self.server.issuer).map_err(|m| ConfigError::new("server.issuer", m))?;
        let database =
            DatabaseUrl::parse(self.database.url.expose_secret()).map_err(|m| ConfigError::new("database.url", m))?;
        if self.database.pool_size == 0 {
            return Err(ConfigError::new("database.pool_size", "must be at least 1"));
        }
        let state = StateUrl::parse(self.state.url.expose_secret()).map_err(|m| ConfigError::new("state.url", m))?;
        if self.state.pool_size == 0 {
            return Err(ConfigError::new("state.pool_size", "must be at least 1"));
        }
        let format = match self.log.format.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => return Err(ConfigError::new("log.format", format!("must be `text` or `json`, not `{other}`"))),
        };
        let ttl = self.tokens.access_token_ttl_secs;
        if !(30..=86_400).contains(&ttl) {
            return Err(ConfigError::new("tokens.access_token_ttl_secs", "must be between 30 and 86400"));
        }
        let id_ttl = self.tokens.id_token_ttl_secs;
        if !(30..=86_400).contains(&id_ttl) {
            return Err(ConfigError::new("tokens.id_token_ttl_secs", "must be between 30 and 86400"));
        }
        if self.tokens.refresh_token_ttl_secs < 60 {
            return Err(ConfigError::new("tokens.refresh_token_ttl_secs", "must be at least 60"));
        }
        if self.session.ttl_secs < 60 {
            return Err(ConfigError::new("session.ttl_secs", "must be at least 60"));
        }
        if !(2..=600).contains(&self.session.qr_ttl_secs) {
            return Err(ConfigError::new("session.qr_ttl_secs", "must be between 2 and 600"));
        }
        if self.security.login_max_failures == 0 || self.security.login_ip_max_failures == 0 {
            return Err(ConfigError::new("security.login_max_failures", "lockout thresholds must be at least 1"));
        }
        if self.keys.refresh_secs == 0 {
            return Err(ConfigError::new("keys.refresh_secs", "must be at least 1"));
        }
        if self.security.client_auth_max_failures == 0 {
            return Err(ConfigError::new("security.client_auth_max_failures", "must be at least 1"));
        }
        let sms = self.sms.validate()?;
        let otp = self.otp.validate()?;
        let registry = self.registry.validate()?;
        let federation = self.federation.validate()?;
        Ok(Config {
            federation,
            sms,
            otp,
            registry,
            bind,
            workers: self.server.workers,
            issuer,
            database,
            database_pool_size: self.database.pool_size,
            database_acquire_timeout: Duration::from_secs(self.database.acquire_timeout_secs.max(1)),
            state,
            state_key_prefix: self.state.key_prefix.clone(),
            state_pool_size: self.state.pool_size,
            kek: self.keys.kek.clone(),
            kek_file: self.keys.kek_file.clone(),
            generate_kek: self.keys.generate_kek,
            key_prepublish: Duration::from_secs(self.keys.prepublish_secs),
            key_refresh: Duration::from_secs(self.keys.refresh_secs),
            key_rotation_period: Duration::from_secs(self.keys.rotation_period_secs),
            access_token_ttl: Duration::from_secs(ttl),
            id_token_ttl: Duration::from_secs(id_ttl),
            refresh_token_ttl: Duration::from_secs(self.tokens.refresh_token_ttl_secs),
            session_ttl: Duration::from_secs(self.session.ttl_secs),
            qr_ttl: Duration::from_secs(self.session.qr_ttl_secs),
            login_max_failures: self.security.login_max_failures,
            login_ip_max_failures: self.security.login_ip_max_failures,
            login_lockout: Duration::from_secs(self.security.login_lockout_secs.max(1)),
            client_cache_ttl: Duration::from_secs(self.clients.cache_ttl_secs),
            registration_enabled: self.registration.enabled,
            client_auth_max_failures: self.security.client_auth_max_failures,
            client_auth_lockout: Duration::from_secs(self.security.client_auth_lockout_secs.max(1)),
            log_format: format,
            log_level: self.log.level.clone(),
        })
    }
}

/// Turns figment's error into one naming the setting.
fn figment_error(e: figment::Error) -> ConfigError {
    let setting = if e.path.is_empty() { "configuration".to_owned() } else { e.path.join(".") };
    let message = match &e.kind {
        figment::error::Kind::UnknownField(field, _) => {
            let key = if setting == "configuration" { field.clone() } else { format!("{setting}.{field}") };
            return ConfigError::new(&key, "unknown setting");
        }
        kind => kind.to_string(),
    };
    let mut err = ConfigError::new(&setting, message);
    if let Some(source) = e.metadata.as_ref().map(|m| m.name.to_string()) {
        err.message = format!("{} (from {source})", err.message);
    }
    err
}

/// Validated configuration, passed by reference to everything that needs it.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub bind: SocketAddr,
    /// Worker threads (0 = cores).
    pub workers: usize,
    /// Issuer identifier.
    pub issuer: Issuer,
    /// Database backend and location.
    pub database: DatabaseUrl,
    /// Pool size.
    pub database_pool_size: u32,
    /// Pool acquire timeout.
    pub database_acquire_timeout: Duration,
    /// Ephemeral-state backend.
    pub state: StateUrl,
    /// Redis key prefix.
    pub state_key_prefix: String,
    /// Redis pool size.
    pub state_pool_size: usize,
    /// Inline key-encryption key.
    pub kek: Option<SecretString>,
    /// Key-encryption key file.
    pub kek_file: PathBuf,
    /// May a missing KEK file be generated.
    pub generate_kek: bool,
    /// Pre-publication period for rotated keys.
    pub key_prepublish: Duration,
    /// Key-set reload period.
    pub key_refresh: Duration,
    /// Automatic rotation period (zero = off).
    pub key_rotation_period: Duration,
    /// Access-token lifetime.
    pub access_token_ttl: Duration,
    /// ID-token lifetime.
    pub id_token_ttl: Duration,
    /// Refresh-token lifetime.
    pub refresh_token_ttl: Duration,
    /// Browser-session lifetime.
    pub session_ttl: Duration,
    /// QR sign-in transaction lifetime.
    pub qr_ttl: Duration,
    /// Sign-in failures per account before lockout.
    pub login_max_failures: u64,
    /// Sign-in failures per address before lockout.
    pub login_ip_max_failures: u64,
    /// Sign-in lockout window.
    pub login_lockout: Duration,
    /// How long a cached client is trusted.
    pub client_cache_ttl: Duration,
    /// Dynamic client registration is open (with initial access tokens).
    pub registration_enabled: bool,
    /// Client-authentication failures before lockout.
    pub client_auth_max_failures: u64,
    /// Lockout window.
    pub client_auth_lockout: Duration,
    /// SMS gateway.
    pub sms: SmsGatewayConfig,
    /// One-time-code limits.
    pub otp: OtpPolicy,
    /// Identity registry.
    pub registry: RegistrySource,
    /// Upstream identity providers.
    pub federation: Vec<ProviderConfig>,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter.
    pub log_level: String,
}

impl Config {
    /// The longest lifetime of anything a signing key signs: how long a retired key
    /// must stay published.
    pub fn max_token_lifetime(&self) -> Duration {
        self.access_token_ttl.max(self.id_token_ttl)
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (ELK-ready).
    Json,
}

/// The issuer identifier: an absolute `http(s)` URL without query or fragment
/// (OIDC Discovery §3), kept exactly as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer(String);

impl Issuer {
    /// Parses and checks an issuer identifier.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw).map_err(|e| format!("not an absolute URL ({e}): {raw}"))?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(format!("must use https (or http for local development): {raw}"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("must not have a query or fragment: {raw}"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("must not carry credentials: {raw}"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("must name a host: {raw}"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The identifier exactly as configured.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An endpoint URL under the issuer: `endpoint("/token")`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.0.trim_end_matches('/'))
    }

    /// Whether cookies must be `Secure`.
    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

/// Where the durable store lives, chosen by URL scheme (never by trying backends).
#[derive(Clone)]
pub enum DatabaseUrl {
    /// `sqlite://PATH` (relative or absolute path).
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, passed to libpq unchanged.
    Postgres(SecretString),
}

impl DatabaseUrl {
    /// Parses a database URL by its scheme.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a file path, e.g. sqlite://data/vhod.db".into());
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            url::Url::parse(raw).map_err(|e| format!("malformed PostgreSQL URL: {e}"))?;
            return Ok(Self::Postgres(SecretString::from(raw)));
        }
        let scheme = raw.split_once("://").map_or(raw, |(s, _)| s);
        Err(format!("unknown scheme `{scheme}`; use sqlite://PATH or postgres://…"))
    }

    /// A printable form with any password hidden.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => redact_url(url.expose_secret()),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Which ephemeral-state store to use.
#[derive(Clone)]
pub enum StateUrl {
    /// In-process (single node only).
    Memory,
    /// Redis at this URL.
    Redis(SecretString),
}

impl StateUrl {
    /// Parses `memory` or a `redis://` / `rediss://` URL.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw == "memory" {
            return Ok(Self::Memory);
        }
        if raw.starts_with("redis://") || raw.starts_with("rediss://") {
            url::Url::parse(raw).map_err(|e| format!("malformed Redis URL: {e}"))?;
            return Ok(Self::Redis(SecretString::from(raw)));
        }
        Err(format!("must be `memory` or a redis:// URL, not `{}`", redact_url(raw)))
    }

    /// A printable form with any password hidden.
    pub fn redacted(&self) -> String {
        match self {
            Self::Memory => "memory".into(),
            Self::Redis(url) => redact_url(url.expose_secret()),
        }
    }
}

impl std::fmt::Debug for StateUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Replaces the password in a URL with `***`.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "<unparseable URL>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_picks_backend_by_scheme_only() {
        assert!(matches!(DatabaseUrl::parse("sqlite://data/x.db"), Ok(DatabaseUrl::Sqlite(_))));
        assert!(matches!(DatabaseUrl::parse("postgres://u@h/db"), Ok(DatabaseUrl::Postgres(_))));
        assert!(matches!(DatabaseUrl::parse("postgresql://u@h/db"), Ok(DatabaseUrl::Postgres(_))));
        for bad in ["postgres:idp", "mysql://h/db", "data/vhod.db", "sqlite://", ""] {
            assert!(DatabaseUrl::parse(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let mut settings = Settings::default();
        settings.database.url = SecretString::from("postgres://vhod:hunter2secret@db/vhod");
        settings.state.url = SecretString::from("redis://:redispass99@cache/");
        settings.keys.kek = Some(SecretString::from("a2VrLXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw=="));
        let config = settings.validate().expect("valid");
        for text in [format!("{settings:?}"), format!("{config:?}")] {
            assert!(!text.contains("hunter2secret"), "{text}");
            assert!(!text.contains("redispass99"), "{text}");
            assert!(!text.contains("a2VrLXZhbHVl"), "{text}");
        }
        assert_eq!(config.database.redacted(), "postgres://vhod:***@db/vhod");
    }

    #[test]
    fn issuer_must_be_absolute_http_without_query_or_fragment() {
        assert!(Issuer::parse("https://id.example.ru").is_ok());
        assert!(Issuer::parse("https://id.example.ru/realm/").is_ok());
        for bad in ["id.example.ru", "ftp://x", "https://x/?a=b", "https://x/#f", "https://u:p@x/"] {
            assert!(Issuer::parse(bad).is_err(), "{bad} must be refused");
        }
        let issuer = Issuer::parse("https://id.example.ru/").unwrap();
        assert_eq!(issuer.endpoint("/token"), "https://id.example.ru/token");
    }

    #[test]
    fn config_error_names_setting_and_variable() {
        let err = ConfigError::new("database.url", "bad");
        assert_eq!(err.to_string(), "database.url (VHOD__DATABASE__URL): bad");
    }
}
