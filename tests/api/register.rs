//! Dynamic client registration (RFC 7591) and management (RFC 7592).

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

fn initial_token(app: &TestApp, uses: &str) -> String {
    let output = app.cli(&["registration", "token", "--uses", uses, "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    value["initial_access_token"].as_str().unwrap().to_owned()
}

async fn register(app: &TestApp, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app.http.post(app.url("/register")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[actix_web::test]
async fn registration_is_closed_by_default() {
    let app = spawn_app().await;
    let response = register(&app, None, json!({ "redirect_uris": ["https://rp.example.ru/cb"] })).await;
    assert_eq!(response.status(), 404);
}

#[actix_web::test]
async fn clients_register_with_an_initial_access_token_and_manage_themselves() {
    let app = spawn_app_with(|s| s.registration.enabled = true).await;
    let doc: Value =
        app.http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["registration_endpoint"], app.url("/register"));

    let body =
        json!({ "grant_types": ["client_credentials"], "client_name": "Kiosk backend", "software_id": "ignored" });
    assert_eq!(register(&app, None, body.clone()).await.status(), 401);
    assert_eq!(register(&app, Some("made-up"), body.clone()).await.status(), 401);

    let token = initial_token(&app, "1");
    let created = register(&app, Some(&token), body.clone()).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let management = created["registration_access_token"].as_str().unwrap().to_owned();
    assert_eq!(created["registration_client_uri"], app.url(&format!("/register/{client_id}")));
    assert_eq!(created["client_secret_expires_at"], 0);
    assert_eq!(register(&app, Some(&token), body).await.status(), 401, "a one-use token is spent");

    let issued = app
        .http
        .post(app.url("/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), 200, "the registered client works");

    let uri = app.url(&format!("/register/{client_id}"));
    let read: Value = app.http.get(&uri).bearer_auth(&management).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["client_name"], "Kiosk backend");
    assert!(read.get("client_secret").is_none());
    assert_eq!(app.http.get(&uri).bearer_auth("wrong").send().await.unwrap().status(), 401);
    assert_eq!(
        app.http.get(&uri).bearer_auth(&token).send().await.unwrap().status(),
        401,
        "not with the initial token"
    );

    let updated = app
        .http
        .put(&uri)
        .bearer_auth(&management)
        .json(&json!({ "client_id": client_id, "grant_types": ["client_credentials"], "client_name": "Kiosk v2" }))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    assert_eq!(updated.json::<Value>().await.unwrap()["client_name"], "Kiosk v2");

    assert_eq!(app.http.delete(&uri).bearer_auth(&management).send().await.unwrap().status(), 204);
    assert_eq!(app.http.get(&uri).bearer_auth(&management).send().await.unwrap().status(), 401);
    app.wait_for_audit("client.registered", &client_id).await;
}

#[actix_web::test]
async fn registered_metadata_is_validated_strictly() {
    let app = spawn_app_with(|s| s.registration.enabled = true).await;
    let token = initial_token(&app, "100");
    let cases = [
        (json!({ "redirect_uris": ["http://rp.example.ru/cb"] }), "invalid_redirect_uri"),
        (json!({ "redirect_uris": ["https://rp.example.ru/cb#frag"] }), "invalid_redirect_uri"),
        (json!({ "redirect_uris": ["/relative"] }), "invalid_redirect_uri"),
        (json!({ "redirect_uris": [] }), "invalid_redirect_uri"),
        (
            json!({ "redirect_uris": ["https://rp.example.ru/cb"], "scope": "openid vhod:admin" }),
            "invalid_client_metadata",
        ),
        (json!({ "redirect_uris": ["https://rp.example.ru/cb"], "scope": "payments" }), "invalid_client_metadata"),
        (
            json!({ "redirect_uris": ["https://rp.example.ru/cb"], "response_types": ["token"] }),
            "invalid_client_metadata",
        ),
        (
            json!({ "redirect_uris": ["https://rp.example.ru/cb"], "token_endpoint_auth_method": "tls_client_auth" }),
            "invalid_client_metadata",
        ),
        (json!({ "redirect_uris": "https://rp.example.ru/cb" }), "invalid_client_metadata"),
        (
            json!({ "redirect_uris": ["https://rp.example.ru/cb"], "backchannel_logout_uri": "http://127.0.0.1:8080/admin" }),
            "invalid_client_metadata",
        ),
        (
            json!({ "grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "http://127.0.0.1/jwks" }),
            "invalid_client_metadata",
        ),
    ];
    for (body, expected) in cases {
        let response = register(&app, Some(&token), body.clone()).await;
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], expected, "{body}: {error}");
    }
    let good = register(
        &app,
        Some(&token),
        json!({ "redirect_uris": ["https://rp.example.ru/cb"], "response_types": ["code"], "scope": "openid email" }),
    )
    .await;
    assert_eq!(good.status(), 201);
    let good: Value = good.json().await.unwrap();
    assert_eq!(good["scope"], "openid email");
    assert_eq!(good["response_types"], json!(["code"]));
}
