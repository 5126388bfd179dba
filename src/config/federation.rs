//! `[[federation.providers]]`: upstream identity providers citizens may sign in with.
//! Each has a kind (`oidc`, `yandex`, `vk`); `oidc` providers may name a bank preset
//! that fills in that bank's quirks (extra headers, client credentials on userinfo,
//! client certificates).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{ConfigError, expose_opt};

/// `[federation]`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FederationSettings {
    /// The providers, in the order their buttons appear.
    pub providers: Vec<ProviderSettings>,
}

/// One `[[federation.providers]]` entry as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderSettings {
    /// Short id used in URLs (`/federation/{id}/start`): lower-case letters, digits, `-`.
    pub id: String,
    /// `oidc`, `yandex` or `vk`.
    pub kind: String,
    /// For `oidc`: `sber`, `tbank` or `alfa` fill in that bank's quirks.
    pub preset: Option<String>,
    /// Button label.
    pub name: String,
    /// OIDC issuer (discovery at `{issuer}/.well-known/openid-configuration` unless
    /// `authorization_endpoint` is given).
    pub issuer: String,
    /// Explicit endpoints (Yandex and VK have defaults; banks without discovery need them).
    pub authorization_endpoint: String,
    /// Token endpoint.
    pub token_endpoint: String,
    /// UserInfo endpoint.
    pub userinfo_endpoint: String,
    /// JWKS for ID tokens (explicit OIDC configuration).
    pub jwks_uri: String,
    /// Our client id at the provider.
    pub client_id: String,
    /// Our client secret.
    #[serde(serialize_with = "expose_opt")]
    pub client_secret: Option<SecretString>,
    /// File holding the client secret (wins over `client_secret`).
    pub client_secret_file: Option<PathBuf>,
    /// Scopes to ask for (defaults per kind and preset).
    pub scopes: Vec<String>,
    /// Whether the provider's data is verified identity data that confirms accounts
    /// (banks: true).
    pub confirms: Option<bool>,
    /// Whether a phone number from the provider may link to an account with the same
    /// verified number.
    pub link_by_phone: bool,
    /// Extra headers on token requests; `{rquid}` becomes 32 random hex digits.
    pub token_headers: BTreeMap<String, String>,
    /// Extra headers on userinfo requests; `{rquid}` as above.
    pub userinfo_headers: BTreeMap<String, String>,
    /// Send `client_id` and `client_secret` in a POST body to userinfo (T-ID).
    pub userinfo_client_credentials: bool,
    /// PEM client certificate for token and userinfo calls (mTLS).
    pub client_cert_file: Option<PathBuf>,
    /// PEM private key of that certificate.
    pub client_key_file: Option<PathBuf>,
    /// PEM trust root added for this provider (e.g. the Mintsifry root CA).
    pub ca_file: Option<PathBuf>,
    /// Allow endpoints on loopback and private addresses (tests, internal IdPs).
    pub allow_private_addresses: bool,
    /// Timeout of one call to the provider, in milliseconds.
    pub timeout_ms: u64,
}

impl Default for ProviderSettings {
    fn default() -> Self {
        Self {
            id: String::new(),
            kind: String::new(),
            preset: None,
            name: String::new(),
            issuer: String::new(),
            authorization_endpoint: String::new(),
            token_endpoint: String::new(),
            userinfo_endpoint: String::new(),
            jwks_uri: String::new(),
            client_id: String::new(),
            client_secret: None,
            client_secret_file: None,
            scopes: Vec::new(),
            confirms: None,
            link_by_phone: true,
            token_headers: BTreeMap::new(),
            userinfo_headers: BTreeMap::new(),
            userinfo_client_credentials: false,
            client_cert_file: None,
            client_key_file: None,
            ca_file: None,
            allow_private_addresses: false,
            timeout_ms: 10_000,
        }
    }
}

/// The adapter a provider uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// Generic OpenID Connect.
    Oidc,
    /// Yandex ID (OAuth 2.0 + `login.yandex.ru/info`).
    Yandex,
    /// VK ID (OAuth 2.1 + PKCE + `device_id`).
    Vk,
}

/// Explicit endpoints (all set, or discovery is used).
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// Authorization endpoint.
    pub authorization: url::Url,
    /// Token endpoint.
    pub token: url::Url,
    /// UserInfo endpoint.
    pub userinfo: Option<url::Url>,
    /// JWKS (OIDC only).
    pub jwks: Option<url::Url>,
}

/// A validated provider.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// URL id.
    pub id: String,
    /// Adapter.
    pub kind: ProviderKind,
    /// Button label.
    pub name: String,
    /// OIDC issuer, exactly as configured (it must equal the ID tokens' `iss`).
    pub issuer: Option<String>,
    /// Explicit endpoints; `None` means OIDC discovery.
    pub endpoints: Option<Endpoints>,
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: Option<SecretString>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Verified data confirms accounts.
    pub confirms: bool,
    /// Phone numbers link accounts.
    pub link_by_phone: bool,
    /// Extra token-request headers.
    pub token_headers: Vec<(String, String)>,
    /// Extra userinfo headers.
    pub userinfo_headers: Vec<(String, String)>,
    /// Client credentials in the userinfo body.
    pub userinfo_client_credentials: bool,
    /// PEM certificate + key for mTLS.
    pub client_identity: Option<Vec<u8>>,
    /// PEM trust root.
    pub ca: Option<Vec<u8>>,
    /// Private addresses allowed.
    pub allow_private_addresses: bool,
    /// Per-call timeout.
    pub timeout: Duration,
}

fn url(setting: &str, raw: &str, private: bool) -> Result<url::Url, ConfigError> {
    let parsed = url::Url::parse(raw).map_err(|e| ConfigError::new(setting, format!("not a URL ({e}): {raw}")))?;
    let allowed = parsed.scheme() == "https" || (private && parsed.scheme() == "http");
    if !allowed {
        return Err(ConfigError::new(
            setting,
            format!("must be https (http only with allow_private_addresses): {raw}"),
        ));
    }
    Ok(parsed)
}

/// Fills an empty setting with the kind's default.
fn default(value: &mut String, fallback: &str) {
    if value.is_empty() {
        *value = fallback.into();
    }
}

fn read(setting: &str, path: &PathBuf) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| ConfigError::new(setting, format!("cannot read {}: {e}", path.display())))
}

impl ProviderSettings {
    /// Applies the kind's and preset's defaults, then checks everything.
    pub fn validate(&self, index: usize) -> Result<ProviderConfig, ConfigError> {
        let at = |field: &str| format!("federation.providers[{index}].{field}");
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 32
            && self.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(ConfigError::new(&at("id"), "1 to 32 lower-case letters, digits or `-`"));
        }
        let kind = match self.kind.as_str() {
            "oidc" => ProviderKind::Oidc,
            "yandex" => ProviderKind::Yandex,
            "vk" => ProviderKind::Vk,
            other => return Err(ConfigError::new(&at("kind"), format!("`oidc`, `yandex` or `vk`, not `{other}`"))),
        };
        if self.client_id.is_empty() {
            return Err(ConfigError::new(&at("client_id"), "required"));
        }
        let mut s = self.clone();
        let mut confirms = false;
        match (kind, self.preset.as_deref()) {
            (ProviderKind::Oidc, None) => {}
            (ProviderKind::Oidc, Some("sber")) => {
                s.token_headers.entry("rquid".into()).or_insert_with(|| "{rquid}".into());
                s.userinfo_headers.entry("x-introspect-rquid".into()).or_insert_with(|| "{rquid}".into());
                if s.scopes.is_empty() {
                    s.scopes = ["openid", "name", "birthdate", "gender", "mobile", "snils", "maindoc"]
                        .map(Into::into)
                        .to_vec();
                }
                confirms = true;
            }
            (ProviderKind::Oidc, Some("tbank")) => {
                s.userinfo_client_credentials = true;
                if s.scopes.is_empty() {
                    s.scopes = ["openid", "profile", "phone"].map(Into::into).to_vec();
                }
                confirms = true;
            }
            (ProviderKind::Oidc, Some("alfa")) => {
                if s.client_cert_file.is_none() {
                    return Err(ConfigError::new(
                        &at("client_cert_file"),
                        "Alfa ID calls need the bank-issued client certificate",
                    ));
                }
                confirms = true;
            }
            (ProviderKind::Oidc, Some("vtb")) => {
                return Err(ConfigError::new(
                    &at("preset"),
                    "VTB ID serves personal data only over GOST TLS (CryptoPro), which Vhod does not speak; put a GOST TLS proxy in front and configure it as plain `oidc`",
                ));
            }
            (ProviderKind::Oidc, Some(other)) => {
                return Err(ConfigError::new(&at("preset"), format!("`sber`, `tbank` or `alfa`, not `{other}`")));
            }
            (ProviderKind::Yandex, _) => {
                default(&mut s.authorization_endpoint, "https://oauth.yandex.ru/authorize");
                default(&mut s.token_endpoint, "https://oauth.yandex.ru/token");
                default(&mut s.userinfo_endpoint, "https://login.yandex.ru/info?format=json");
                if s.scopes.is_empty() {
                    s.scopes =
                        ["login:info", "login:email", "login:birthday", "login:default_phone"].map(Into::into).to_vec();
                }
            }
            (ProviderKind::Vk, _) => {
                default(&mut s.authorization_endpoint, "https://id.vk.com/authorize");
                default(&mut s.token_endpoint, "https://id.vk.com/oauth2/auth");
                default(&mut s.userinfo_endpoint, "https://id.vk.com/oauth2/user_info");
                if s.scopes.is_empty() {
                    s.scopes = ["vkid.personal_info", "email", "phone"].map(Into::into).to_vec();
                }
            }
        }
        if kind == ProviderKind::Oidc && s.scopes.is_empty() {
            s.scopes = ["openid", "profile", "phone"].map(Into::into).to_vec();
        }
        if kind == ProviderKind::Oidc && !s.scopes.iter().any(|x| x == "openid") {
            return Err(ConfigError::new(&at("scopes"), "an OpenID Connect provider needs the `openid` scope"));
        }
        let private = s.allow_private_addresses;
        let issuer = match (kind, s.issuer.is_empty()) {
            (ProviderKind::Oidc, true) => return Err(ConfigError::new(&at("issuer"), "required for `oidc`")),
            (ProviderKind::Oidc, false) => {
                url(&at("issuer"), &s.issuer, private)?;
                Some(s.issuer.clone())
            }
            _ => None,
        };
        let endpoints = if s.authorization_endpoint.is_empty() {
            None
        } else {
            if s.token_endpoint.is_empty() {
                return Err(ConfigError::new(&at("token_endpoint"), "required with authorization_endpoint"));
            }
            let optional = |field: &str, raw: &str| -> Result<Option<url::Url>, ConfigError> {
                if raw.is_empty() { Ok(None) } else { url(&at(field), raw, private).map(Some) }
            };
            let jwks = optional("jwks_uri", &s.jwks_uri)?;
            if kind == ProviderKind::Oidc && jwks.is_none() {
                return Err(ConfigError::new(&at("jwks_uri"), "required for `oidc` without discovery"));
            }
            Some(Endpoints {
                authorization: url(&at("authorization_endpoint"), &s.authorization_endpoint, private)?,
                token: url(&at("token_endpoint"), &s.token_endpoint, private)?,
                userinfo: optional("userinfo_endpoint", &s.userinfo_endpoint)?,
                jwks,
            })
        };
        let client_secret = match &s.client_secret_file {
            Some(path) => {
                let raw = read(&at("client_secret_file"), path)?;
                Some(SecretString::from(String::from_utf8_lossy(&raw).trim().to_owned()))
            }
            None => s.client_secret.clone(),
        };
        if client_secret.as_ref().is_some_and(|c| c.expose_secret().is_empty()) {
            return Err(ConfigError::new(&at("client_secret"), "is empty"));
        }
        let client_identity = match (&s.client_cert_file, &s.client_key_file) {
            (Some(cert), Some(key)) => {
                let mut pem = read(&at("client_cert_file"), cert)?;
                pem.push(b'\n');
                pem.extend(read(&at("client_key_file"), key)?);
                reqwest::Identity::from_pem(&pem).map_err(|e| {
                    ConfigError::new(&at("client_cert_file"), format!("not a PEM certificate and key: {e}"))
                })?;
                Some(pem)
            }
            (None, None) => None,
            _ => {
                return Err(ConfigError::new(&at("client_key_file"), "give both client_cert_file and client_key_file"));
            }
        };
        let ca = match &s.ca_file {
            Some(path) => {
                let pem = read(&at("ca_file"), path)?;
                reqwest::Certificate::from_pem(&pem)
                    .map_err(|e| ConfigError::new(&at("ca_file"), format!("not a PEM certificate: {e}")))?;
                Some(pem)
            }
            None => None,
        };
        let headers = |field: &str, map: &BTreeMap<String, String>| -> Result<Vec<(String, String)>, ConfigError> {
            map.iter()
                .map(|(k, v)| {
                    reqwest::header::HeaderName::from_bytes(k.as_bytes())
                        .map_err(|_| ConfigError::new(&at(field), format!("`{k}` is not a header name")))?;
                    Ok((k.to_ascii_lowercase(), v.clone()))
                })
                .collect()
        };
        if !(500..=60_000).contains(&s.timeout_ms) {
            return Err(ConfigError::new(&at("timeout_ms"), "must be between 500 and 60000"));
        }
        Ok(ProviderConfig {
            id: s.id.clone(),
            kind,
            name: if s.name.is_empty() { s.id.clone() } else { s.name.clone() },
            issuer,
            endpoints,
            client_id: s.client_id.clone(),
            client_secret,
            scopes: s.scopes.clone(),
            confirms: s.confirms.unwrap_or(confirms),
            link_by_phone: s.link_by_phone,
            token_headers: headers("token_headers", &s.token_headers)?,
            userinfo_headers: headers("userinfo_headers", &s.userinfo_headers)?,
            userinfo_client_credentials: s.userinfo_client_credentials,
            client_identity,
            ca,
            allow_private_addresses: private,
            timeout: Duration::from_millis(s.timeout_ms),
        })
    }
}

impl FederationSettings {
    /// Checks every provider; ids must be unique.
    pub fn validate(&self) -> Result<Vec<ProviderConfig>, ConfigError> {
        let mut out: Vec<ProviderConfig> = Vec::new();
        for (i, p) in self.providers.iter().enumerate() {
            let provider = p.validate(i)?;
            if out.iter().any(|o| o.id == provider.id) {
                return Err(ConfigError::new(&format!("federation.providers[{i}].id"), "used twice"));
            }
            out.push(provider);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(kind: &str) -> ProviderSettings {
        ProviderSettings {
            id: "p".into(),
            kind: kind.into(),
            client_id: "c".into(),
            client_secret: Some(SecretString::from("s")),
            issuer: "https://id.example.ru".into(),
            ..Default::default()
        }
    }

    #[test]
    fn kinds_presets_and_endpoints_are_checked() {
        let yandex = provider("yandex").validate(0).unwrap();
        assert_eq!(yandex.endpoints.unwrap().token.as_str(), "https://oauth.yandex.ru/token");
        let sber = ProviderSettings { preset: Some("sber".into()), ..provider("oidc") }.validate(0).unwrap();
        assert!(sber.confirms && sber.token_headers.iter().any(|(k, _)| k == "rquid"));
        let vtb = ProviderSettings { preset: Some("vtb".into()), ..provider("oidc") }.validate(0);
        assert!(vtb.unwrap_err().message.contains("GOST"));
        let alfa = ProviderSettings { preset: Some("alfa".into()), ..provider("oidc") }.validate(0);
        assert_eq!(alfa.unwrap_err().setting, "federation.providers[0].client_cert_file");
        let plain_http = ProviderSettings { issuer: "http://idp.example.ru".into(), ..provider("oidc") };
        assert!(plain_http.validate(0).is_err());
        let bad_id = ProviderSettings { id: "Sber ID".into(), ..provider("oidc") };
        assert_eq!(bad_id.validate(3).unwrap_err().setting, "federation.providers[3].id");
        let twice = FederationSettings { providers: vec![provider("vk"), provider("yandex")] };
        assert!(twice.validate().is_err());
    }
}
