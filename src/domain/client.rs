//! Client identifiers, grant types and client-authentication methods.

use std::fmt;
use std::str::FromStr;

use super::DomainError;

/// A client identifier: 1–128 characters from the unreserved URI set plus `:` and `@`,
/// so it is safe in a URL, a log line and an HTTP Basic user name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    /// Parses a client identifier.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.is_empty() || raw.len() > 128 {
            return Err(DomainError::new("client id must be 1 to 128 characters"));
        }
        let ok = |c: char| c.is_ascii_alphanumeric() || "-._~:@".contains(c);
        if !raw.chars().all(ok) {
            return Err(DomainError::new("client id may contain only letters, digits and - . _ ~ : @"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// OAuth 2.0 grant types Vhod knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GrantType {
    /// RFC 6749 §4.1.
    AuthorizationCode,
    /// RFC 6749 §6.
    RefreshToken,
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 8628 device authorization grant.
    DeviceCode,
    /// RFC 8693 token exchange (a representative acting under a power of attorney).
    TokenExchange,
}

impl GrantType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            Self::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
        }
    }
}

impl FromStr for GrantType {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "authorization_code" => Ok(Self::AuthorizationCode),
            "refresh_token" => Ok(Self::RefreshToken),
            "client_credentials" => Ok(Self::ClientCredentials),
            "urn:ietf:params:oauth:grant-type:device_code" | "device_code" => Ok(Self::DeviceCode),
            "urn:ietf:params:oauth:grant-type:token-exchange" => Ok(Self::TokenExchange),
            other => Err(DomainError::new(format!("unknown grant type `{other}`"))),
        }
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a client authenticates at the token endpoint (OIDC Core §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// HTTP Basic with the client id and secret.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A public client (no secret): only with PKCE.
    None,
    /// A JWT signed with the client's key (RFC 7523 §2.2, OIDC Core §9).
    PrivateKeyJwt,
}

impl AuthMethod {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::None => "none",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

impl FromStr for AuthMethod {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            "client_secret_post" => Ok(Self::ClientSecretPost),
            "none" => Ok(Self::None),
            "private_key_jwt" => Ok(Self::PrivateKeyJwt),
            other => Err(DomainError::new(format!(
                "unknown token endpoint auth method `{other}` (use client_secret_basic, client_secret_post, private_key_jwt or none)"
            ))),
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_url_and_header_safe() {
        assert!(ClientId::parse("portal-web_1.ru:app@x~").is_ok());
        for bad in ["", "a b", "a/b", "a%20", "клиент", &"x".repeat(129)] {
            assert!(ClientId::parse(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn grant_types_and_auth_methods_round_trip() {
        for g in [
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
            GrantType::DeviceCode,
            GrantType::TokenExchange,
        ] {
            assert_eq!(g.as_str().parse::<GrantType>(), Ok(g));
        }
        assert!("password".parse::<GrantType>().is_err());
        assert!("private_key".parse::<AuthMethod>().is_err());
        assert_eq!("pairwise".parse::<SubjectType>(), Ok(SubjectType::Pairwise));
    }
}

/// How `sub` is formed for a client (OIDC Core §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectType {
    /// The same identifier for every client.
    Public,
    /// A per-sector identifier that other sectors cannot link.
    Pairwise,
}

impl SubjectType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Pairwise => "pairwise",
        }
    }
}

impl FromStr for SubjectType {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "public" => Ok(Self::Public),
            "pairwise" => Ok(Self::Pairwise),
            other => Err(DomainError::new(format!("subject type must be public or pairwise, not `{other}`"))),
        }
    }
}

/// A registered client application, fully parsed.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    /// Identifier.
    pub id: ClientId,
    /// Display name shown to citizens.
    pub name: String,
    /// SHA-256 of its secret (`None` for clients without one).
    pub secret_hash: Option<Vec<u8>>,
    /// How it must authenticate at the token endpoint.
    pub auth_method: AuthMethod,
    /// Grants it may use.
    pub grant_types: Vec<GrantType>,
    /// Scopes it may be given.
    pub scopes: super::Scopes,
    /// Where authorization responses may go.
    pub redirect_uris: Vec<super::RedirectUri>,
    /// Audiences its tokens may name; the default audience when no `resource` is given.
    pub audiences: Vec<super::Audience>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Trusted first-party application: no consent page.
    pub first_party: bool,
    /// Public or pairwise subjects.
    pub subject_type: SubjectType,
    /// May be granted the admin scope (client_credentials only).
    pub admin: bool,
    /// Where RP-initiated logout may send the browser (exact match).
    pub post_logout_redirect_uris: Vec<super::RedirectUri>,
    /// OIDC Back-Channel Logout receiver.
    pub backchannel_logout_uri: Option<super::RedirectUri>,
    /// Ending a session revokes this client's refresh tokens issued in it.
    pub logout_revokes_refresh: bool,
    /// Inline JWK Set JSON for `private_key_jwt` (checked at registration).
    pub jwks: Option<String>,
    /// JWK Set URL for `private_key_jwt`.
    pub jwks_uri: Option<String>,
    /// SHA-256 (base64url) of its registration access token, if registered dynamically.
    pub registration_token_hash: Option<String>,
}

impl Client {
    /// Whether `uri` is one of its redirect URIs (exact string match).
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r.as_str() == uri)
    }

    /// The audiences of its tokens when none is asked for: the configured ones, or the
    /// client itself when it has none.
    pub fn default_audiences(&self) -> Vec<super::Audience> {
        if self.audiences.is_empty() {
            vec![super::Audience::parse(self.id.as_str()).expect("client ids are valid audiences")]
        } else {
            self.audiences.clone()
        }
    }

    /// Whether it is a public client (no secret; PKCE required).
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }

    /// The pairwise sector: the host of its redirect URIs.
    pub fn sector(&self) -> Option<String> {
        self.redirect_uris
            .first()
            .and_then(|u| url::Url::parse(u.as_str()).ok())
            .and_then(|u| u.host_str().map(str::to_owned))
    }

    /// Whether it may use `grant`.
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("auth_method", &self.auth_method)
            .field("grant_types", &self.grant_types)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}
