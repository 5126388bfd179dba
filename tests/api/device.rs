//! The device authorization grant (RFC 8628) driven by the `oauth2` crate's device
//! flow, with the citizen approving in a browser; `slow_down`, denial, expiry and the
//! user-code guessing limit.

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{ClientId, DeviceAuthorizationUrl, Scope, StandardDeviceAuthorizationResponse, TokenResponse, TokenUrl};
use serde_json::Value;
use vhod::admin::clients::ClientSpec;

use crate::flow::{browser, hidden, location};
use crate::helpers::{TestApp, spawn_app};

const PASSWORD: &str = "kiosk user password";

async fn tv_client(app: &TestApp) {
    app.create_client(ClientSpec {
        id: "tv".into(),
        name: Some("Телевизор в МФЦ".into()),
        grant_types: vec!["urn:ietf:params:oauth:grant-type:device_code".into()],
        scopes: vec!["openid".into(), "profile".into()],
        auth_method: Some("none".into()),
        ..Default::default()
    })
    .await;
}

/// The citizen's side: type the code, sign in, and decide; returns the final page.
async fn approve(app: &TestApp, b: &reqwest::Client, uri_complete: &str, decision: &str) -> String {
    let html = b.get(uri_complete).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("name=\"user_code\""), "{html}");
    let code = hidden(&html.replace("type=\"text\" id=\"user_code\"", "type=\"hidden\""), "user_code");
    let submitted = b
        .post(app.url("/device"))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("user_code", code.to_lowercase().replace('-', " ").as_str()),
        ])
        .send()
        .await
        .unwrap();
    let login = b.get(location(app, &submitted)).send().await.unwrap().text().await.unwrap();
    let signed = crate::flow::sign_in(app, b, &login, "kiosk", PASSWORD).await;
    let consent = b.get(location(app, &signed)).send().await.unwrap().text().await.unwrap();
    assert!(consent.contains("Телевизор в МФЦ"), "the citizen sees which application asks:\n{consent}");
    let decided = crate::flow::decide(app, b, &consent, decision).await;
    assert_eq!(decided.status(), 200);
    decided.text().await.unwrap()
}

async fn poll(app: &TestApp, device_code: &str) -> (u16, Value) {
    let response = app
        .http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device_code),
            ("client_id", "tv"),
        ])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn start(app: &TestApp) -> Value {
    app.http
        .post(app.url("/device_authorization"))
        .form(&[("client_id", "tv"), ("scope", "openid profile")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_kiosk_signs_in_through_the_device_grant() {
    let app = spawn_app().await;
    tv_client(&app).await;
    crate::flow::citizen(&app, "kiosk", PASSWORD).await;
    let discovery: Value =
        app.http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(discovery["device_authorization_endpoint"], app.url("/device_authorization"));
    assert!(discovery["grant_types_supported"].to_string().contains("device_code"));
    let client = BasicClient::new(ClientId::new("tv".into()))
        .set_auth_type(oauth2::AuthType::RequestBody)
        .set_token_uri(TokenUrl::new(app.url("/token")).unwrap())
        .set_device_authorization_url(DeviceAuthorizationUrl::new(app.url("/device_authorization")).unwrap());
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("profile".into()))
        .request_async(&app.http)
        .await
        .expect("device authorization");
    let code = details.user_code().secret().clone();
    assert!(code.len() == 9 && code.as_bytes()[4] == b'-', "{code}");
    let complete = details.verification_uri_complete().expect("verification_uri_complete").secret().clone();
    let b = browser();
    let (tokens, page) = tokio::join!(
        client.exchange_device_access_token(&details).request_async(
            &app.http,
            tokio::time::sleep,
            Some(Duration::from_secs(40))
        ),
        approve(&app, &b, &complete, "allow"),
    );
    assert!(page.contains("Вернитесь к устройству"), "{page}");
    let tokens = tokens.expect("tokens after approval");
    assert!(tokens.scopes().is_some_and(|s| s.iter().any(|x| x.as_str() == "profile")));
    let info = app.userinfo(tokens.access_token().secret()).await;
    assert_eq!(info["preferred_username"], "kiosk");
}

#[actix_web::test]
async fn polling_too_fast_slows_down_and_denial_and_expiry_end_the_grant() {
    let app = spawn_app().await;
    tv_client(&app).await;
    crate::flow::citizen(&app, "kiosk", PASSWORD).await;
    let started = start(&app).await;
    let device_code = started["device_code"].as_str().unwrap().to_owned();
    assert_eq!(started["interval"], 5);
    let (status, first) = poll(&app, &device_code).await;
    assert_eq!((status, first["error"].as_str()), (400, Some("authorization_pending")));
    let (_, second) = poll(&app, &device_code).await;
    assert_eq!(second["error"], "slow_down");
    let page = approve(&app, &browser(), started["verification_uri_complete"].as_str().unwrap(), "deny").await;
    assert!(page.contains("отклонён"), "{page}");
    assert_eq!(poll(&app, &device_code).await.1["error"], "access_denied");
    assert_eq!(poll(&app, &device_code).await.1["error"], "expired_token", "a denied grant is gone");
    assert_eq!(poll(&app, "never-issued").await.1["error"], "expired_token");
    // The user code of a decided grant no longer works.
    let b = browser();
    let html =
        b.get(started["verification_uri_complete"].as_str().unwrap()).send().await.unwrap().text().await.unwrap();
    let reused = b
        .post(app.url("/device"))
        .form(&[("csrf", hidden(&html, "csrf").as_str()), ("user_code", started["user_code"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), 400);
    // A client without the grant is refused.
    let (id, secret) = app.service_client("svc").await;
    let refused = app
        .http
        .post(app.url("/device_authorization"))
        .basic_auth(&id, Some(&secret))
        .form(&[("scope", "read")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(crate::helpers::error_code(refused).await, "unauthorized_client");
}

#[actix_web::test]
async fn guessing_user_codes_is_limited_per_address() {
    let app = spawn_app().await;
    tv_client(&app).await;
    let started = start(&app).await;
    let b = browser();
    let html = b.get(app.url("/device")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&html, "csrf");
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let guess = b
            .post(app.url("/device"))
            .form(&[("csrf", csrf.as_str()), ("user_code", "BCDF-GHJK")])
            .send()
            .await
            .unwrap();
        statuses.push(guess.status().as_u16());
    }
    assert_eq!(statuses[..9], [400; 9]);
    assert_eq!(statuses[9], 429, "the tenth wrong code locks the address");
    let right = b
        .post(app.url("/device"))
        .form(&[("csrf", csrf.as_str()), ("user_code", started["user_code"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 429, "even the right code waits now");
    app.wait_for_audit_kind("device.code_guessed").await;
}
