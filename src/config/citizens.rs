//! Settings for citizen accounts: the SMS gateway, one-time-code limits and the
//! identity registry used for standard-level verification.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{ConfigError, expose_opt};

/// `[sms]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSettings {
    /// `outbox` (development: messages go to `outbox_file` or the log) or `http`.
    pub gateway: String,
    /// File the development outbox appends JSON lines to; empty = the log.
    pub outbox_file: PathBuf,
    /// The HTTP gateway's URL.
    pub url: String,
    /// Value of the `Authorization` header sent to the gateway.
    #[serde(serialize_with = "expose_opt")]
    pub authorization: Option<SecretString>,
    /// Request body with `{to}`, `{text}` and `{sender}` placeholders.
    pub body_template: String,
    /// Content type of the body; with `application/json` values are JSON-escaped,
    /// with `application/x-www-form-urlencoded` they are percent-encoded.
    pub content_type: String,
    /// Sender name passed to the gateway.
    pub sender: String,
    /// Timeout of one attempt, in milliseconds.
    pub timeout_ms: u64,
    /// Further attempts after a failed one (network errors and 5xx answers).
    pub retries: u32,
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            gateway: "outbox".into(),
            outbox_file: PathBuf::new(),
            url: String::new(),
            authorization: None,
            body_template: r#"{"to":"{to}","text":"{text}","sender":"{sender}"}"#.into(),
            content_type: "application/json".into(),
            sender: "Vhod".into(),
            timeout_ms: 5000,
            retries: 2,
        }
    }
}

/// `[otp]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OtpSettings {
    /// Lifetime of one code, in seconds.
    pub code_ttl_secs: u64,
    /// Wrong entries allowed per code.
    pub max_attempts: u64,
    /// Wait before the first resend, in seconds; it doubles with each further send.
    pub resend_cooldown_secs: u64,
    /// Codes sent to one number per window.
    pub max_sends_per_phone: u64,
    /// Codes sent for one client address per window.
    pub max_sends_per_address: u64,
    /// Counting window for sends and failures, in seconds.
    pub window_secs: u64,
    /// Wrong codes for one number (across codes) before it is locked.
    pub max_failures_per_phone: u64,
    /// How long the lock lasts, in seconds.
    pub lock_secs: u64,
}

impl Default for OtpSettings {
    fn default() -> Self {
        Self {
            code_ttl_secs: 300,
            max_attempts: 5,
            resend_cooldown_secs: 30,
            max_sends_per_phone: 5,
            max_sends_per_address: 30,
            window_secs: 3600,
            max_failures_per_phone: 10,
            lock_secs: 1800,
        }
    }
}

/// `[registry]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrySettings {
    /// Empty (no registry: accounts stay simplified), `file:PATH` (a JSON list of
    /// records) or an `http(s)://` URL answering match / mismatch / not found.
    pub source: String,
    /// Value of the `Authorization` header sent to an HTTP registry.
    #[serde(serialize_with = "expose_opt")]
    pub authorization: Option<SecretString>,
    /// Timeout of one HTTP check, in milliseconds.
    pub timeout_ms: u64,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        Self { source: String::new(), authorization: None, timeout_ms: 10_000 }
    }
}

/// How SMS messages leave.
#[derive(Debug, Clone)]
pub enum SmsGatewayConfig {
    /// Development outbox: a file of JSON lines, or the log when `None`.
    Outbox(Option<PathBuf>),
    /// An HTTP gateway.
    Http(HttpSmsConfig),
}

/// A validated HTTP gateway.
#[derive(Debug, Clone)]
pub struct HttpSmsConfig {
    /// Where to POST.
    pub url: url::Url,
    /// `Authorization` header value.
    pub authorization: Option<SecretString>,
    /// Body template.
    pub body_template: String,
    /// Content type.
    pub content_type: String,
    /// Sender name.
    pub sender: String,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
}

/// One-time-code limits.
#[derive(Debug, Clone)]
pub struct OtpPolicy {
    /// Code lifetime.
    pub code_ttl: Duration,
    /// Wrong entries per code.
    pub max_attempts: u64,
    /// First resend cooldown (doubles).
    pub resend_cooldown: Duration,
    /// Sends per number per window.
    pub max_sends_per_phone: u64,
    /// Sends per address per window.
    pub max_sends_per_address: u64,
    /// Counting window.
    pub window: Duration,
    /// Failures per number before the lock.
    pub max_failures_per_phone: u64,
    /// Lock duration.
    pub lock: Duration,
}

/// Where identity data is checked.
#[derive(Debug, Clone)]
pub enum RegistrySource {
    /// No registry configured.
    None,
    /// A JSON file of registry records.
    File(PathBuf),
    /// An HTTP service.
    Http {
        /// Its URL.
        url: url::Url,
        /// `Authorization` header value.
        authorization: Option<SecretString>,
        /// Timeout.
        timeout: Duration,
    },
}

fn http_url(setting: &str, raw: &str) -> Result<url::Url, ConfigError> {
    let url = url::Url::parse(raw).map_err(|e| ConfigError::new(setting, format!("not a URL ({e}): {raw}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(setting, format!("must be an http(s) URL: {raw}")));
    }
    Ok(url)
}

impl SmsSettings {
    /// Checks the gateway settings.
    pub fn validate(&self) -> Result<SmsGatewayConfig, ConfigError> {
        match self.gateway.as_str() {
            "outbox" => {
                let file = (!self.outbox_file.as_os_str().is_empty()).then(|| self.outbox_file.clone());
                Ok(SmsGatewayConfig::Outbox(file))
            }
            "http" => {
                let url = http_url("sms.url", &self.url)?;
                if !self.body_template.contains("{to}") || !self.body_template.contains("{text}") {
                    return Err(ConfigError::new("sms.body_template", "must contain {to} and {text}"));
                }
                if !(100..=60_000).contains(&self.timeout_ms) {
                    return Err(ConfigError::new("sms.timeout_ms", "must be between 100 and 60000"));
                }
                if self.retries > 5 {
                    return Err(ConfigError::new("sms.retries", "must be at most 5"));
                }
                if let Some(auth) = &self.authorization
                    && reqwest::header::HeaderValue::from_str(auth.expose_secret()).is_err()
                {
                    return Err(ConfigError::new("sms.authorization", "is not a valid header value"));
                }
                Ok(SmsGatewayConfig::Http(HttpSmsConfig {
                    url,
                    authorization: self.authorization.clone(),
                    body_template: self.body_template.clone(),
                    content_type: self.content_type.clone(),
                    sender: self.sender.clone(),
                    timeout: Duration::from_millis(self.timeout_ms),
                    retries: self.retries,
                }))
            }
            other => Err(ConfigError::new("sms.gateway", format!("must be `outbox` or `http`, not `{other}`"))),
        }
    }
}

impl OtpSettings {
    /// Checks the limits.
    pub fn validate(&self) -> Result<OtpPolicy, ConfigError> {
        if !(2..=900).contains(&self.code_ttl_secs) {
            return Err(ConfigError::new("otp.code_ttl_secs", "must be between 2 and 900"));
        }
        if !(1..=10).contains(&self.max_attempts) {
            return Err(ConfigError::new("otp.max_attempts", "must be between 1 and 10"));
        }
        for (name, value) in [
            ("otp.max_sends_per_phone", self.max_sends_per_phone),
            ("otp.max_sends_per_address", self.max_sends_per_address),
            ("otp.max_failures_per_phone", self.max_failures_per_phone),
            ("otp.window_secs", self.window_secs),
            ("otp.lock_secs", self.lock_secs),
        ] {
            if value == 0 {
                return Err(ConfigError::new(name, "must be at least 1"));
            }
        }
        Ok(OtpPolicy {
            code_ttl: Duration::from_secs(self.code_ttl_secs),
            max_attempts: self.max_attempts,
            resend_cooldown: Duration::from_secs(self.resend_cooldown_secs),
            max_sends_per_phone: self.max_sends_per_phone,
            max_sends_per_address: self.max_sends_per_address,
            window: Duration::from_secs(self.window_secs),
            max_failures_per_phone: self.max_failures_per_phone,
            lock: Duration::from_secs(self.lock_secs),
        })
    }
}

impl RegistrySettings {
    /// Checks the source.
    pub fn validate(&self) -> Result<RegistrySource, ConfigError> {
        let source = self.source.trim();
        if source.is_empty() {
            return Ok(RegistrySource::None);
        }
        if let Some(path) = source.strip_prefix("file:") {
            if path.is_empty() {
                return Err(ConfigError::new("registry.source", "file: needs a path"));
            }
            return Ok(RegistrySource::File(PathBuf::from(path)));
        }
        if source.starts_with("http://") || source.starts_with("https://") {
            if !(100..=120_000).contains(&self.timeout_ms) {
                return Err(ConfigError::new("registry.timeout_ms", "must be between 100 and 120000"));
            }
            return Ok(RegistrySource::Http {
                url: http_url("registry.source", source)?,
                authorization: self.authorization.clone(),
                timeout: Duration::from_millis(self.timeout_ms),
            });
        }
        Err(ConfigError::new("registry.source", "must be empty, file:PATH or an http(s):// URL"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateways_and_registries_are_checked() {
        assert!(matches!(SmsSettings::default().validate(), Ok(SmsGatewayConfig::Outbox(None))));
        let http =
            SmsSettings { gateway: "http".into(), url: "https://sms.example.ru/send".into(), ..Default::default() };
        assert!(matches!(http.validate(), Ok(SmsGatewayConfig::Http(_))));
        let no_url = SmsSettings { gateway: "http".into(), ..Default::default() };
        assert_eq!(no_url.validate().unwrap_err().setting, "sms.url");
        let bad = SmsSettings { gateway: "pigeon".into(), ..Default::default() };
        assert_eq!(bad.validate().unwrap_err().setting, "sms.gateway");
        let template = SmsSettings { body_template: "{to}".into(), ..http };
        assert_eq!(template.validate().unwrap_err().setting, "sms.body_template");
        assert!(matches!(RegistrySettings::default().validate(), Ok(RegistrySource::None)));
        let file = RegistrySettings { source: "file:/srv/registry.json".into(), ..Default::default() };
        assert!(matches!(file.validate(), Ok(RegistrySource::File(_))));
        let ftp = RegistrySettings { source: "ftp://x".into(), ..Default::default() };
        assert_eq!(ftp.validate().unwrap_err().setting, "registry.source");
        let otp = OtpSettings { max_attempts: 0, ..Default::default() };
        assert_eq!(otp.validate().unwrap_err().setting, "otp.max_attempts");
    }
}
