//! Authorization-server metadata (RFC 8414) / OpenID Provider metadata (OIDC
//! Discovery §3). Only what works is advertised; each capability adds its fields.

use serde::Serialize;

use super::acr;
use crate::config::Config;

/// The discovery document.
#[derive(Debug, Serialize)]
pub struct ProviderMetadata {
    /// The issuer, exactly as configured.
    pub issuer: String,
    /// Authorization endpoint.
    pub authorization_endpoint: String,
    /// Token endpoint.
    pub token_endpoint: String,
    /// UserInfo endpoint.
    pub userinfo_endpoint: String,
    /// RFC 7662 introspection endpoint.
    pub introspection_endpoint: String,
    /// Client authentication at the introspection endpoint.
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    /// RP-initiated logout.
    pub end_session_endpoint: String,
    /// Back-channel logout.
    pub backchannel_logout_supported: bool,
    /// Logout tokens carry `sid`.
    pub backchannel_logout_session_supported: bool,
    /// RFC 8628 device authorization endpoint.
    pub device_authorization_endpoint: String,
    /// RFC 7591 registration endpoint, when enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    /// RFC 7009 revocation endpoint.
    pub revocation_endpoint: String,
    /// Client authentication at the revocation endpoint.
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    /// JWKS location.
    pub jwks_uri: String,
    /// Supported scopes.
    pub scopes_supported: Vec<&'static str>,
    /// Only the code flow.
    pub response_types_supported: Vec<&'static str>,
    /// Query and form post.
    pub response_modes_supported: Vec<&'static str>,
    /// Supported grants.
    pub grant_types_supported: Vec<&'static str>,
    /// Authentication context classes reachable today.
    pub acr_values_supported: Vec<String>,
    /// Public and pairwise subjects.
    pub subject_types_supported: Vec<&'static str>,
    /// ID tokens are RS256.
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    /// Client authentication at the token endpoint.
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Algorithms for `private_key_jwt` assertions.
    pub token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    /// Claims Vhod can release.
    pub claims_supported: Vec<&'static str>,
    /// PKCE methods.
    pub code_challenge_methods_supported: Vec<&'static str>,
    /// `prompt` values.
    pub prompt_values_supported: Vec<&'static str>,
    /// Page languages.
    pub ui_locales_supported: Vec<&'static str>,
    /// RFC 9207.
    pub authorization_response_iss_parameter_supported: bool,
    /// The `claims` parameter is not supported.
    pub claims_parameter_supported: bool,
    /// Request objects are not supported.
    pub request_parameter_supported: bool,
    /// `request_uri` is not supported (the default would be true).
    pub request_uri_parameter_supported: bool,
    /// RFC 8707 `resource` parameter (client_credentials).
    pub resource_parameter_supported: bool,
    /// Access tokens are RFC 9068 JWTs signed with these.
    pub access_token_signing_alg_values_supported: Vec<&'static str>,
    /// OpenID Connect for Identity Assurance: `verified_claims` are released.
    pub verified_claims_supported: bool,
    /// Trust frameworks named in `verified_claims`.
    pub trust_frameworks_supported: Vec<&'static str>,
    /// Evidence types.
    pub evidence_supported: Vec<&'static str>,
    /// Claims that may appear inside `verified_claims`.
    pub claims_in_verified_claims_supported: Vec<&'static str>,
}

impl ProviderMetadata {
    /// Builds the document from configuration.
    pub fn new(config: &Config) -> Self {
        let issuer = &config.issuer;
        Self {
            issuer: issuer.as_str().to_owned(),
            authorization_endpoint: issuer.endpoint("/authorize"),
            token_endpoint: issuer.endpoint("/token"),
            userinfo_endpoint: issuer.endpoint("/userinfo"),
            introspection_endpoint: issuer.endpoint("/introspect"),
            introspection_endpoint_auth_methods_supported: vec![
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
            ],
            end_session_endpoint: issuer.endpoint("/end_session"),
            backchannel_logout_supported: true,
            backchannel_logout_session_supported: true,
            device_authorization_endpoint: issuer.endpoint("/device_authorization"),
            registration_endpoint: config.registration_enabled.then(|| issuer.endpoint("/register")),
            revocation_endpoint: issuer.endpoint("/revoke"),
            revocation_endpoint_auth_methods_supported: vec![
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
                "none",
            ],
            jwks_uri: issuer.endpoint("/jwks"),
            scopes_supported: vec![
                "openid",
                "profile",
                "email",
                "phone",
                "address",
                "offline_access",
                "snils",
                "inn",
                "id_document",
                "verified_claims",
            ],
            response_types_supported: vec!["code"],
            response_modes_supported: vec!["query", "form_post"],
            grant_types_supported: vec![
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ],
            acr_values_supported: acr::Acr::all(),
            subject_types_supported: vec!["public", "pairwise"],
            id_token_signing_alg_values_supported: vec!["RS256"],
            token_endpoint_auth_methods_supported: vec![
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
                "none",
            ],
            token_endpoint_auth_signing_alg_values_supported: vec!["RS256", "PS256", "ES256"],
            claims_supported: vec![
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "acr",
                "amr",
                "azp",
                "sid",
                "name",
                "given_name",
                "family_name",
                "middle_name",
                "birthdate",
                "gender",
                "preferred_username",
                "updated_at",
                "email",
                "email_verified",
                "phone_number",
                "phone_number_verified",
                "address",
                "snils",
                "inn",
                "id_document",
                "account_level",
                "verified_claims",
            ],
            code_challenge_methods_supported: vec!["S256"],
            prompt_values_supported: vec!["none", "login", "consent", "select_account"],
            ui_locales_supported: vec!["ru", "en"],
            authorization_response_iss_parameter_supported: true,
            claims_parameter_supported: false,
            request_parameter_supported: false,
            request_uri_parameter_supported: false,
            resource_parameter_supported: true,
            access_token_signing_alg_values_supported: vec!["RS256"],
            verified_claims_supported: true,
            trust_frameworks_supported: vec![super::claims::TRUST_FRAMEWORK],
            evidence_supported: vec!["electronic_record", "document"],
            claims_in_verified_claims_supported: crate::accounts::REGISTRY_CLAIMS.to_vec(),
        }
    }
}
