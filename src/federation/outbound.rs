//! Outbound HTTP to one upstream provider: its timeout, client certificate and trust
//! root, no redirects followed, and no private or loopback addresses (SSRF) unless the
//! provider is configured with `allow_private_addresses`. Host names are checked after
//! resolution, IP literals before the request.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};

use crate::config::ProviderConfig;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The address is private or loopback and the provider may not use it.
    #[error("refused: {0} is not a public address")]
    Refused(String),
    /// Timed out.
    #[error("the provider did not answer in time")]
    Timeout,
    /// Network or TLS failure.
    #[error("the provider cannot be reached: {0}")]
    Unreachable(String),
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Resolves names and drops non-public addresses.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(OutboundError::Refused(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client of one provider.
#[derive(Clone)]
pub struct Outbound {
    http: reqwest::Client,
    allow_private: bool,
}

impl Outbound {
    /// Builds the client from the provider's settings.
    pub fn new(provider: &ProviderConfig) -> Result<Self, OutboundError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(provider.timeout)
            .connect_timeout(provider.timeout.min(std::time::Duration::from_secs(5)))
            .user_agent(concat!("vhod/", env!("CARGO_PKG_VERSION")));
        if !provider.allow_private_addresses {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        if let Some(pem) = &provider.client_identity {
            let identity = reqwest::Identity::from_pem(pem).map_err(|e| OutboundError::Unreachable(e.to_string()))?;
            builder = builder.identity(identity);
        }
        if let Some(pem) = &provider.ca {
            let root = reqwest::Certificate::from_pem(pem).map_err(|e| OutboundError::Unreachable(e.to_string()))?;
            builder = builder.add_root_certificate(root);
        }
        let http = builder.build().map_err(|e| OutboundError::Unreachable(e.to_string()))?;
        Ok(Self { http, allow_private: provider.allow_private_addresses })
    }

    /// Refuses IP-literal URLs that are not public (names are checked at resolution).
    pub fn check(&self, url: &url::Url) -> Result<(), OutboundError> {
        if self.allow_private {
            return Ok(());
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        match literal {
            Some(ip) if !is_public(ip) => Err(OutboundError::Refused(ip.to_string())),
            _ => Ok(()),
        }
    }

    /// Sends a request built with [`Outbound::client`].
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, OutboundError> {
        let request = request.build().map_err(|e| OutboundError::Unreachable(e.to_string()))?;
        self.check(request.url())?;
        self.http.execute(request).await.map_err(classify)
    }

    /// The underlying client, for building requests.
    pub fn client(&self) -> &reqwest::Client {
        &self.http
    }

    /// An `oauth2`/`openidconnect` HTTP client that adds `headers` to every request.
    pub fn with_headers(&self, headers: Vec<(String, String)>) -> WithHeaders<'_> {
        WithHeaders { outbound: self, headers }
    }
}

fn classify(e: reqwest::Error) -> OutboundError {
    if e.is_timeout() {
        return OutboundError::Timeout;
    }
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(err) = source {
        if let Some(refused) = err.downcast_ref::<OutboundError>() {
            return OutboundError::Refused(refused.to_string());
        }
        source = err.source();
    }
    OutboundError::Unreachable(e.without_url().to_string())
}

/// Values of configured headers: `{rquid}` becomes 32 random hex digits per request.
pub fn header_value(template: &str) -> String {
    if !template.contains("{rquid}") {
        return template.to_owned();
    }
    let mut raw = [0u8; 16];
    aws_lc_rs::rand::fill(&mut raw).expect("the system random generator failed");
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    template.replace("{rquid}", &hex)
}

/// An HTTP client for the `oauth2` and `openidconnect` crates.
pub struct WithHeaders<'a> {
    outbound: &'a Outbound,
    headers: Vec<(String, String)>,
}

impl<'c> AsyncHttpClient<'c> for WithHeaders<'_> {
    type Error = OutboundError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, OutboundError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = url::Url::parse(&parts.uri.to_string()).map_err(|e| OutboundError::Unreachable(e.to_string()))?;
            let mut builder = self.outbound.http.request(parts.method, url).headers(parts.headers).body(body);
            for (name, template) in &self.headers {
                builder = builder.header(name.as_str(), header_value(template));
            }
            let response = self.outbound.send(builder).await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await.map_err(classify)?.to_vec();
            let mut out = HttpResponse::new(body);
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.158.134.3", "2a02:6b8::2:242"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        assert_eq!(header_value("{rquid}").len(), 32);
        assert_eq!(header_value("fixed"), "fixed");
    }
}
