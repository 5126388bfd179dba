//! Fake upstream identity providers on loopback, following each provider's documented
//! endpoints and quirks: Yandex ID (`Authorization: OAuth` on the info endpoint), VK ID
//! (PKCE + `device_id` returned on the callback and required at the token endpoint,
//! errors as HTTP 200), and a bank OIDC provider with Sber's `rquid` /
//! `x-introspect-rquid` headers and RS256 ID tokens.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use aws_lc_rs::digest;
use serde_json::{Value, json};
use vhod::jose::{GeneratedKey, JwkSet, SigningKey, b64url};

/// Client credentials every fake expects.
pub const CLIENT_ID: &str = "vhod-test";
/// Its secret.
pub const CLIENT_SECRET: &str = "upstream-secret-for-tests";

/// What an issued code is bound to: PKCE challenge, nonce, redirect URI.
type CodeBinding = (String, Option<String>, String);

/// What one fake knows and how it misbehaves.
#[derive(Default)]
pub struct FakeState {
    /// The user it signs in.
    pub user: Mutex<Value>,
    /// code → (challenge, nonce, redirect_uri).
    codes: Mutex<HashMap<String, CodeBinding>>,
    /// Answer `error=access_denied` instead of a code.
    pub deny: AtomicBool,
    /// Delay every back-channel answer (ms).
    pub delay_ms: AtomicU64,
    /// Put a wrong nonce into ID tokens.
    pub bad_nonce: AtomicBool,
    /// Requests that lacked a required header.
    pub missing_headers: Mutex<Vec<String>>,
    issuer: Mutex<String>,
    key: Mutex<Option<(SigningKey, JwkSet)>>,
}

/// A running fake.
pub struct Fake {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its state.
    pub state: Arc<FakeState>,
}

fn s256(verifier: &str) -> String {
    b64url(digest::digest(&digest::SHA256, verifier.as_bytes()).as_ref())
}

fn random() -> String {
    vhod::jose::random_token(12)
}

async fn authorize(req: HttpRequest, state: web::Data<Arc<FakeState>>, kind: web::Data<&'static str>) -> HttpResponse {
    let q: HashMap<String, String> = url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    let mut target = url::Url::parse(&redirect).expect("redirect_uri");
    if q.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || q.get("code_challenge_method").map(String::as_str) != Some("S256")
    {
        target.query_pairs_mut().append_pair("error", "invalid_request");
    } else if state.deny.load(Ordering::SeqCst) {
        target.query_pairs_mut().append_pair("error", "access_denied").append_pair("state", &q["state"]);
    } else {
        let code = random();
        let challenge = q.get("code_challenge").cloned().unwrap_or_default();
        state.codes.lock().unwrap().insert(code.clone(), (challenge, q.get("nonce").cloned(), redirect.clone()));
        let mut pairs = target.query_pairs_mut();
        pairs.append_pair("code", &code).append_pair("state", &q["state"]);
        if *kind.get_ref() == "vk" {
            pairs
                .append_pair("device_id", "vk-device-42")
                .append_pair("type", "code_v2")
                .append_pair("expires_in", "600");
        }
    }
    HttpResponse::Found().insert_header(("location", target.to_string())).finish()
}

async fn delay(state: &FakeState) {
    let ms = state.delay_ms.load(Ordering::SeqCst);
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

fn take_code(state: &FakeState, form: &HashMap<String, String>) -> Option<(String, Option<String>)> {
    let (challenge, nonce, redirect) = state.codes.lock().unwrap().remove(form.get("code")?)?;
    (s256(form.get("code_verifier")?) == challenge && form.get("redirect_uri") == Some(&redirect))
        .then_some((challenge, nonce))
}

fn require_header(req: &HttpRequest, state: &FakeState, name: &str) {
    let ok = req
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()));
    if !ok {
        state.missing_headers.lock().unwrap().push(name.to_owned());
    }
}

fn basic_ok(req: &HttpRequest, form: &HashMap<String, String>) -> bool {
    let basic = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(str::to_owned);
    let expected = base64_basic(CLIENT_ID, CLIENT_SECRET);
    basic.as_deref() == Some(expected.as_str())
        || (form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
            && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET))
}

fn base64_basic(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
}

async fn token(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<FakeState>>,
    kind: web::Data<&'static str>,
) -> HttpResponse {
    delay(&state).await;
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    match *kind.get_ref() {
        "vk" => {
            if form.get("device_id").map(String::as_str) != Some("vk-device-42") {
                return HttpResponse::Ok()
                    .json(json!({ "error": "invalid_request", "error_description": "device_id is invalid" }));
            }
            if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) || take_code(&state, &form).is_none() {
                return HttpResponse::Ok().json(json!({ "error": "invalid_grant" }));
            }
            HttpResponse::Ok()
                .json(json!({ "access_token": "vk-access", "refresh_token": "vk-refresh", "id_token": "x.y.z",
                "token_type": "Bearer", "expires_in": 3600, "user_id": 1234, "state": form.get("state") }))
        }
        kind => {
            if !basic_ok(&req, &form) {
                return HttpResponse::Unauthorized().json(json!({ "error": "invalid_client" }));
            }
            let Some((_, nonce)) = take_code(&state, &form) else {
                return HttpResponse::BadRequest().json(json!({ "error": "invalid_grant" }));
            };
            if kind == "yandex" {
                return HttpResponse::Ok()
                    .json(json!({ "access_token": "ya-access", "token_type": "bearer", "expires_in": 3600 }));
            }
            require_header(&req, &state, "rquid");
            let user = state.user.lock().unwrap().clone();
            let now = vhod::db::now();
            let nonce = if state.bad_nonce.load(Ordering::SeqCst) { Some("not-the-nonce".into()) } else { nonce };
            let claims = json!({ "iss": *state.issuer.lock().unwrap(), "sub": user["sub"], "aud": CLIENT_ID, "iat": now,
                "exp": now + 300, "nonce": nonce, "amr": ["pwd", "sms", "mfa"] });
            let guard = state.key.lock().unwrap();
            let (key, _) = guard.as_ref().expect("bank key");
            let id_token = key.sign("JWT", &claims).unwrap();
            HttpResponse::Ok().json(json!({ "access_token": "bank-access", "token_type": "Bearer", "expires_in": 60, "id_token": id_token }))
        }
    }
}

async fn yandex_info(req: HttpRequest, state: web::Data<Arc<FakeState>>) -> HttpResponse {
    delay(&state).await;
    if req.headers().get("authorization").and_then(|v| v.to_str().ok()) != Some("OAuth ya-access") {
        return HttpResponse::Unauthorized().finish();
    }
    HttpResponse::Ok().json(state.user.lock().unwrap().clone())
}

async fn vk_user_info(req: HttpRequest, body: web::Bytes, state: web::Data<Arc<FakeState>>) -> HttpResponse {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let client = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| v.into_owned());
    if form.get("access_token").map(String::as_str) != Some("vk-access") || client.as_deref() != Some(CLIENT_ID) {
        return HttpResponse::Ok().json(json!({ "error": "invalid_token" }));
    }
    HttpResponse::Ok().json(json!({ "user": state.user.lock().unwrap().clone() }))
}

async fn bank_userinfo(req: HttpRequest, state: web::Data<Arc<FakeState>>) -> HttpResponse {
    require_header(&req, &state, "x-introspect-rquid");
    if req.headers().get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer bank-access") {
        return HttpResponse::Unauthorized().finish();
    }
    HttpResponse::Ok().json(state.user.lock().unwrap().clone())
}

async fn jwks(state: web::Data<Arc<FakeState>>) -> HttpResponse {
    let guard = state.key.lock().unwrap();
    HttpResponse::Ok().json(&guard.as_ref().expect("bank key").1)
}

impl Fake {
    /// Starts a fake of `kind` (`yandex`, `vk` or `bank`) signing in `user`.
    pub fn start(kind: &'static str, user: Value) -> Self {
        let state = Arc::new(FakeState { user: Mutex::new(user), ..FakeState::default() });
        if kind == "bank" {
            let generated = GeneratedKey::rsa2048().unwrap();
            let key = SigningKey::from_pkcs8(&generated.pkcs8, &generated.jwk).unwrap();
            *state.key.lock().unwrap() = Some((key, JwkSet { keys: vec![generated.jwk] }));
        }
        let data = web::Data::new(state.clone());
        let kind_data = web::Data::new(kind);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        *state.issuer.lock().unwrap() = base.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(kind_data.clone())
                .route("/authorize", web::get().to(authorize))
                .route("/token", web::post().to(token))
                .route("/oauth2/auth", web::post().to(token))
                .route("/info", web::get().to(yandex_info))
                .route("/oauth2/user_info", web::post().to(vk_user_info))
                .route("/userinfo", web::get().to(bank_userinfo))
                .route("/jwks", web::get().to(jwks))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        actix_web::rt::spawn(server);
        Self { base, state }
    }

    /// Replaces the user it signs in.
    pub fn user(&self, user: Value) {
        *self.state.user.lock().unwrap() = user;
    }
}

/// A TLS front for a fake: it requires a client certificate issued by the throwaway
/// test CA (as Sber and Alfa require theirs) and passes the bytes on to `target`
/// (`host:port` of the plain-HTTP fake). Returns `https://127.0.0.1:PORT`.
pub fn mtls_front(target: &str) -> String {
    use rustls::RootCertStore;
    use rustls::server::{ServerConfig, WebPkiClientVerifier};
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(format!("{dir}/throwaway-test-server.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{dir}/throwaway-test-server.key")).unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(format!("{dir}/throwaway-test-ca.pem")).unwrap()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().unwrap();
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let target = target.to_owned();
    actix_web::rt::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, target) = (acceptor.clone(), target.clone());
            actix_web::rt::spawn(async move {
                // Without a valid client certificate the handshake fails here.
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                let Ok(mut plain) = tokio::net::TcpStream::connect(&target).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    format!("https://127.0.0.1:{port}")
}
