//! A browser and a relying party for the authorization code flow tests.

use std::collections::HashMap;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};
use secrecy::ExposeSecret;
use vhod::admin::clients::ClientSpec;

use crate::helpers::TestApp;

/// The relying party's view of one client.
pub type Rp =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// A cookie-keeping browser that follows no redirects by itself.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The redirect URI every test client registers (never contacted).
pub fn redirect_uri(host: &str) -> String {
    format!("https://{host}/callback")
}

/// A registered confidential web client and its relying party.
pub struct WebClient {
    /// Client id.
    pub id: String,
    /// Client secret.
    pub secret: String,
    /// openidconnect client.
    pub rp: Rp,
    /// Registered redirect URI.
    pub redirect_uri: String,
}

/// Registers a web client (authorization_code + refresh_token) on `host`.
pub async fn web_client(app: &TestApp, id: &str, host: &str, adjust: impl FnOnce(&mut ClientSpec)) -> WebClient {
    let redirect = redirect_uri(host);
    let mut spec = ClientSpec {
        id: id.into(),
        name: Some(format!("App {id}")),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        redirect_uris: vec![redirect.clone()],
        ..Default::default()
    };
    adjust(&mut spec);
    let created = app.create_client(spec).await;
    let secret = created.secret.map(|s| s.expose_secret().to_owned()).unwrap_or_default();
    let rp = relying_party(app, id, (!secret.is_empty()).then(|| secret.clone()), &redirect).await;
    WebClient { id: id.into(), secret, rp, redirect_uri: redirect }
}

/// Discovers the provider and builds a relying party.
pub async fn relying_party(app: &TestApp, id: &str, secret: Option<String>, redirect: &str) -> Rp {
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &app.http)
        .await
        .expect("discovery parses with openidconnect");
    CoreClient::from_provider_metadata(metadata, ClientId::new(id.into()), secret.map(ClientSecret::new))
        .set_redirect_uri(RedirectUrl::new(redirect.into()).unwrap())
}

/// One authorization request as the RP made it.
#[derive(Debug)]
pub struct Started {
    /// URL to open in the browser.
    pub url: String,
    /// Expected `state`.
    pub state: CsrfToken,
    /// Expected `nonce`.
    pub nonce: Nonce,
    /// PKCE verifier.
    pub verifier: PkceCodeVerifier,
}

/// Builds an authorization request URL with PKCE and extra parameters.
pub fn start(rp: &Rp, scopes: &[&str], extra: &[(&str, &str)]) -> Started {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request =
        rp.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
    for scope in scopes {
        request = request.add_scope(Scope::new((*scope).into()));
    }
    for (k, v) in extra {
        request = request.add_extra_param(*k, *v);
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
    Started { url: url.to_string(), state, nonce, verifier }
}

/// The value of a hidden input in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} field in page:\n{html}")) + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// The `Location` of a redirect, resolved against the app.
pub fn location(app: &TestApp, response: &reqwest::Response) -> String {
    assert!(response.status().is_redirection(), "expected a redirect, got {}", response.status());
    let loc = response.headers()["location"].to_str().unwrap().to_owned();
    if loc.starts_with('/') { app.url(&loc) } else { loc }
}

/// Query parameters of a URL.
pub fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

/// What the browser reached.
pub enum Reached {
    /// The sign-in page.
    Login {
        /// Page HTML.
        html: String,
    },
    /// The consent page.
    Consent {
        /// Page HTML.
        html: String,
    },
    /// Back at the client, with these parameters.
    Client(HashMap<String, String>),
}

/// Follows Vhod's redirects until a page or the client's redirect URI.
pub async fn follow(app: &TestApp, browser: &reqwest::Client, mut url: String, client_redirect: &str) -> Reached {
    for _ in 0..10 {
        if url.starts_with(client_redirect) {
            return Reached::Client(query(&url));
        }
        let response = browser.get(&url).send().await.unwrap();
        if response.status().is_redirection() {
            url = location(app, &response);
            continue;
        }
        let status = response.status();
        let html = response.text().await.unwrap();
        if html.contains("action=\"/login\"") {
            return Reached::Login { html };
        }
        if html.contains("action=\"/consent\"") {
            return Reached::Consent { html };
        }
        panic!("unexpected page ({status}) at {url}:\n{html}");
    }
    panic!("redirect loop");
}

/// Submits the sign-in form.
pub async fn sign_in(
    app: &TestApp,
    browser: &reqwest::Client,
    html: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    browser
        .post(app.url("/login"))
        .form(&[
            ("rid", hidden(html, "rid").as_str()),
            ("csrf", hidden(html, "csrf").as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

/// Submits the consent form.
pub async fn decide(app: &TestApp, browser: &reqwest::Client, html: &str, decision: &str) -> reqwest::Response {
    browser
        .post(app.url("/consent"))
        .form(&[("rid", hidden(html, "rid").as_str()), ("csrf", hidden(html, "csrf").as_str()), ("decision", decision)])
        .send()
        .await
        .unwrap()
}

/// Creates a citizen with a password and profile data.
pub async fn citizen(app: &TestApp, username: &str, password: &str) -> String {
    let audit = vhod::audit::Audit::direct(app.services.db.clone());
    let profile = vhod::admin::users::Profile {
        given_name: Some("Иван".into()),
        family_name: Some("Петров".into()),
        email: Some(format!("{username}@example.ru")),
    };
    let user =
        vhod::admin::users::create(&app.services.db, &audit, "test", username, password.to_owned().into(), profile)
            .await
            .expect("create user");
    user.id
}

/// Runs the whole browser part: sign in (when asked) and allow (when asked); returns
/// the parameters the client receives.
pub async fn authorize(
    app: &TestApp,
    browser: &reqwest::Client,
    url: &str,
    client: &WebClient,
    credentials: (&str, &str),
) -> HashMap<String, String> {
    let mut reached = follow(app, browser, url.to_owned(), &client.redirect_uri).await;
    loop {
        reached = match reached {
            Reached::Client(params) => return params,
            Reached::Login { html } => {
                let response = sign_in(app, browser, &html, credentials.0, credentials.1).await;
                assert_eq!(response.status(), 303, "sign-in accepted");
                follow(app, browser, location(app, &response), &client.redirect_uri).await
            }
            Reached::Consent { html } => {
                let response = decide(app, browser, &html, "allow").await;
                follow(app, browser, location(app, &response), &client.redirect_uri).await
            }
        };
    }
}

/// Exchanges a code with the relying party library (PKCE verifier included).
pub async fn exchange(
    app: &TestApp,
    client: &WebClient,
    code: &str,
    verifier: PkceCodeVerifier,
) -> openidconnect::core::CoreTokenResponse {
    client
        .rp
        .exchange_code(openidconnect::AuthorizationCode::new(code.into()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&app.http)
        .await
        .expect("code exchange")
}

/// The whole code flow for `credentials` in `browser`: the tokens the client receives.
pub async fn code_flow_tokens(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &WebClient,
    scopes: &[&str],
    credentials: (&str, &str),
) -> openidconnect::core::CoreTokenResponse {
    let started = start(&client.rp, scopes, &[]);
    let params = authorize(app, browser, &started.url, client, credentials).await;
    exchange(app, client, &params["code"], started.verifier).await
}

/// Follows `url` to the consent page, allows, and returns the consent page and the
/// parameters the client receives.
pub async fn allow_to_client(
    app: &TestApp,
    browser: &reqwest::Client,
    url: String,
    client: &WebClient,
) -> (String, HashMap<String, String>) {
    let Reached::Consent { html } = follow(app, browser, url, &client.redirect_uri).await else {
        panic!("expected the consent page")
    };
    let response = decide(app, browser, &html, "allow").await;
    let Reached::Client(params) = follow(app, browser, location(app, &response), &client.redirect_uri).await else {
        panic!("expected the client")
    };
    (html, params)
}

/// The ID token's `amr` as strings.
pub fn amr(claims: &openidconnect::core::CoreIdTokenClaims) -> Vec<String> {
    claims.auth_method_refs().map(|v| v.iter().map(|m| m.to_string()).collect()).unwrap_or_default()
}
