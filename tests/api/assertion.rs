//! `private_key_jwt` client authentication (RFC 7523).

use std::net::TcpListener;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use vhod::admin::clients::ClientSpec;
use vhod::jose::{GeneratedKey, SigningKey};

use crate::helpers::{TestApp, error_code, spawn_app};

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn assertion(key: &SigningKey, client: &str, aud: &str, exp: i64, jti: &str) -> String {
    key.sign("JWT", &json!({ "iss": client, "sub": client, "aud": aud, "exp": exp, "iat": now(), "jti": jti })).unwrap()
}

async fn token(app: &TestApp, assertion: &str) -> reqwest::Response {
    app.http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
        ])
        .send()
        .await
        .unwrap()
}

async fn key_client(app: &TestApp, id: &str, jwks: Option<String>, jwks_uri: Option<String>) -> SigningKey {
    let generated = GeneratedKey::rsa2048().unwrap();
    let set = json!({ "keys": [generated.jwk] }).to_string();
    app.create_client(ClientSpec {
        id: id.into(),
        scopes: vec!["read".into()],
        auth_method: Some("private_key_jwt".into()),
        jwks: jwks.map(|_| set.clone()),
        jwks_uri,
        ..Default::default()
    })
    .await;
    SigningKey::from_pkcs8(&generated.pkcs8, &generated.jwk).unwrap()
}

#[actix_web::test]
async fn private_key_jwt_clients_authenticate_once_per_assertion() {
    let app = spawn_app().await;
    let key = key_client(&app, "signer", Some(String::new()), None).await;
    let token_endpoint = app.url("/token");

    let good = assertion(&key, "signer", &token_endpoint, now() + 60, "jti-1");
    let response = token(&app, &good).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "read");

    let replay = token(&app, &good).await;
    assert_eq!(replay.status(), 401, "a jti is accepted once");
    assert_eq!(error_code(replay).await, "invalid_client");

    let issuer_aud = assertion(&key, "signer", &app.settings.server.issuer, now() + 60, "jti-2");
    assert_eq!(token(&app, &issuer_aud).await.status(), 200, "the issuer is an accepted audience");

    let cases = [
        ("wrong audience", assertion(&key, "signer", "https://elsewhere.example/token", now() + 60, "jti-3")),
        ("expired", assertion(&key, "signer", &token_endpoint, now() - 120, "jti-4")),
        ("too long-lived", assertion(&key, "signer", &token_endpoint, now() + 3600, "jti-5")),
        (
            "no jti",
            key.sign("JWT", &json!({ "iss": "signer", "sub": "signer", "aud": token_endpoint, "exp": now() + 60 }))
                .unwrap(),
        ),
        ("other key", {
            let other = GeneratedKey::rsa2048().unwrap();
            assertion(
                &SigningKey::from_pkcs8(&other.pkcs8, &other.jwk).unwrap(),
                "signer",
                &token_endpoint,
                now() + 60,
                "jti-6",
            )
        }),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (case, jwt) in cases {
        let response = token(&app, &jwt).await;
        assert_eq!(response.status(), 401, "{case}");
    }
    app.wait_for_audit("client.auth_failed", "signer").await;

    // A secret-based client cannot be impersonated with an assertion method.
    let (svc, _) = app.service_client("secretive").await;
    let forged = assertion(&key, &svc, &token_endpoint, now() + 60, "jti-7");
    assert_eq!(token(&app, &forged).await.status(), 401);
}

#[actix_web::test]
async fn private_key_jwt_keys_can_come_from_a_jwks_uri() {
    let app = spawn_app().await;
    let generated = GeneratedKey::rsa2048().unwrap();
    let set = json!({ "keys": [generated.jwk] }).to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://127.0.0.1:{}/jwks", listener.local_addr().unwrap().port());
    let server = HttpServer::new(move || {
        let set = set.clone();
        App::new().route(
            "/jwks",
            web::get().to(move || {
                let set = set.clone();
                async move { HttpResponse::Ok().content_type("application/json").body(set) }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    app.create_client(ClientSpec {
        id: "remote".into(),
        auth_method: Some("private_key_jwt".into()),
        jwks_uri: Some(uri),
        ..Default::default()
    })
    .await;
    let key = SigningKey::from_pkcs8(&generated.pkcs8, &generated.jwk).unwrap();
    let jwt = assertion(&key, "remote", &app.url("/token"), now() + 60, "r-1");
    assert_eq!(token(&app, &jwt).await.status(), 200);
}

#[actix_web::test]
async fn private_key_jwt_registration_is_checked() {
    let app = spawn_app().await;
    let audit = vhod::audit::Audit::direct(app.services.db.clone());
    let create = |spec: ClientSpec| vhod::admin::clients::create(&app.services.db, &audit, "test", spec);
    let base = || ClientSpec { id: "k".into(), auth_method: Some("private_key_jwt".into()), ..Default::default() };
    assert!(create(base()).await.is_err(), "keys are required");
    let private = json!({ "keys": [{ "kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQAB" }] }).to_string();
    assert!(create(ClientSpec { jwks: Some(private), ..base() }).await.is_err(), "private keys are refused");
    assert!(create(ClientSpec { jwks: Some("{}".into()), ..base() }).await.is_err());
    assert!(
        create(ClientSpec { jwks_uri: Some("http://example.ru/jwks".into()), ..base() }).await.is_err(),
        "https only"
    );
}
