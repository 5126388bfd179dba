//! SMS delivery. The gateway sees the number and the text; nothing else in Vhod logs
//! either (the outbox is for development only and says so at startup).

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use secrecy::ExposeSecret;
use serde_json::json;

use super::NotifyError;
use crate::config::{HttpSmsConfig, SmsGatewayConfig};
use crate::domain::Phone;

/// Sends one text message.
pub trait SmsGateway: Send + Sync {
    /// Delivers `text` to `to`.
    fn send(&self, to: &Phone, text: &str) -> impl Future<Output = Result<(), NotifyError>> + Send;
}

/// The configured gateway.
#[derive(Clone)]
pub enum SmsSender {
    /// Development outbox.
    Outbox(Outbox),
    /// HTTP gateway.
    Http(HttpGateway),
}

impl SmsSender {
    /// Builds the gateway named by configuration.
    pub fn from_config(config: &SmsGatewayConfig) -> Result<Self, NotifyError> {
        Ok(match config {
            SmsGatewayConfig::Outbox(file) => {
                tracing::warn!(
                    file = ?file,
                    "SMS messages go to the development outbox, not to phones; set sms.gateway = \"http\" in production"
                );
                Self::Outbox(Outbox { file: file.clone(), lock: Arc::new(Mutex::new(())) })
            }
            SmsGatewayConfig::Http(http) => Self::Http(HttpGateway::new(http.clone())?),
        })
    }
}

impl SmsGateway for SmsSender {
    async fn send(&self, to: &Phone, text: &str) -> Result<(), NotifyError> {
        match self {
            Self::Outbox(o) => o.send(to, text).await,
            Self::Http(h) => h.send(to, text).await,
        }
    }
}

/// Appends each message as a JSON line to a file, or logs it.
#[derive(Clone)]
pub struct Outbox {
    file: Option<PathBuf>,
    lock: Arc<Mutex<()>>,
}

impl SmsGateway for Outbox {
    async fn send(&self, to: &Phone, text: &str) -> Result<(), NotifyError> {
        let line = json!({ "at": crate::db::now(), "to": to.as_str(), "text": text }).to_string();
        let Some(path) = self.file.clone() else {
            tracing::warn!(target: "sms_outbox", message = %line, "development SMS outbox");
            return Ok(());
        };
        let lock = self.lock.clone();
        tokio::task::spawn_blocking(move || {
            let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
            writeln!(file, "{line}")
        })
        .await
        .map_err(|e| NotifyError::Gateway(e.to_string()))?
        .map_err(|e| NotifyError::Gateway(format!("cannot write the outbox: {e}")))
    }
}

/// POSTs a templated body to a gateway URL, retrying network errors and 5xx answers.
#[derive(Clone)]
pub struct HttpGateway {
    config: Arc<HttpSmsConfig>,
    http: reqwest::Client,
}

impl HttpGateway {
    /// A gateway client with the configured timeout and no redirects.
    pub fn new(config: HttpSmsConfig) -> Result<Self, NotifyError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .user_agent(concat!("vhod/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NotifyError::Gateway(e.to_string()))?;
        Ok(Self { config: Arc::new(config), http })
    }

    /// The request body for one message.
    pub fn body(&self, to: &Phone, text: &str) -> String {
        let escape = |value: &str| -> String {
            if self.config.content_type.starts_with("application/json") {
                let quoted = serde_json::to_string(value).expect("a string serializes");
                quoted[1..quoted.len() - 1].to_owned()
            } else if self.config.content_type.starts_with("application/x-www-form-urlencoded") {
                url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
            } else {
                value.to_owned()
            }
        };
        self.config
            .body_template
            .replace("{to}", &escape(to.as_str()))
            .replace("{sender}", &escape(&self.config.sender))
            .replace("{text}", &escape(text))
    }
}

impl SmsGateway for HttpGateway {
    async fn send(&self, to: &Phone, text: &str) -> Result<(), NotifyError> {
        let body = self.body(to, text);
        let mut last = String::new();
        for attempt in 0..=self.config.retries {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt))).await;
            }
            let mut request = self
                .http
                .post(self.config.url.clone())
                .header(reqwest::header::CONTENT_TYPE, self.config.content_type.clone())
                .body(body.clone());
            if let Some(auth) = &self.config.authorization {
                request = request.header(reqwest::header::AUTHORIZATION, auth.expose_secret());
            }
            match request.send().await {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) if response.status().is_server_error() => {
                    last = format!("gateway answered {}", response.status());
                }
                Ok(response) => return Err(NotifyError::Gateway(format!("gateway refused: {}", response.status()))),
                Err(e) => last = if e.is_timeout() { "gateway timed out".into() } else { "gateway unreachable".into() },
            }
        }
        Err(NotifyError::Gateway(last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(content_type: &str, template: &str) -> HttpGateway {
        HttpGateway::new(HttpSmsConfig {
            url: url::Url::parse("http://127.0.0.1:9/").unwrap(),
            authorization: None,
            body_template: template.into(),
            content_type: content_type.into(),
            sender: "Vhod".into(),
            timeout: std::time::Duration::from_secs(1),
            retries: 0,
        })
        .unwrap()
    }

    #[test]
    fn bodies_escape_values_for_their_content_type() {
        let to = Phone::parse("+79161234567").unwrap();
        let json = gateway("application/json", r#"{"to":"{to}","text":"{text}"}"#).body(&to, "код \"1\"\n");
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["text"], "код \"1\"\n");
        let form = gateway("application/x-www-form-urlencoded", "to={to}&msg={text}&from={sender}").body(&to, "a&b=c");
        assert_eq!(form, "to=%2B79161234567&msg=a%26b%3Dc&from=Vhod");
    }
}
