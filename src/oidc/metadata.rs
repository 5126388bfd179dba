//! Authorization-server metadata (RFC 8414) / OpenID Provider metadata (OIDC
//! Discovery §3). Only what works is advertised; each later capability adds its fields.

use serde::Serialize;

use crate::config::Config;

/// The discovery document.
#[derive(Debug, Serialize)]
pub struct ProviderMetadata {
    /// The issuer, exactly as configured.
    pub issuer: String,
    /// JWKS location.
    pub jwks_uri: String,
    /// Token endpoint.
    pub token_endpoint: String,
    /// Supported grants.
    pub grant_types_supported: Vec<&'static str>,
    /// Client authentication at the token endpoint.
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// RFC 8707 `resource` parameter.
    pub resource_parameter_supported: bool,
    /// Access tokens are RFC 9068 JWTs signed with these.
    pub access_token_signing_alg_values_supported: Vec<&'static str>,
}

impl ProviderMetadata {
    /// Builds the document from configuration.
    pub fn new(config: &Config) -> Self {
        let issuer = &config.issuer;
        Self {
            issuer: issuer.as_str().to_owned(),
            jwks_uri: issuer.endpoint("/jwks"),
            token_endpoint: issuer.endpoint("/token"),
            grant_types_supported: vec!["client_credentials"],
            token_endpoint_auth_methods_supported: vec!["client_secret_basic", "client_secret_post"],
            resource_parameter_supported: true,
            access_token_signing_alg_values_supported: vec!["RS256"],
        }
    }
}
