//! The admin REST API, its OpenAPI document, and key rotation across nodes.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use vhod::admin::clients::ClientSpec;

use crate::helpers::{TestApp, TestDb, error_code, spawn_app, spawn_app_on, spawn_app_with, wait_until};

/// An admin client and a token with `vhod:admin`.
pub async fn admin_token(app: &TestApp) -> String {
    let created = app
        .create_client(ClientSpec {
            id: "ops".into(),
            scopes: vec!["vhod:admin".into()],
            admin: true,
            ..Default::default()
        })
        .await;
    let secret = secrecy::ExposeSecret::expose_secret(created.secret.as_ref().unwrap()).to_owned();
    let body: Value = app
        .http
        .post(app.url("/token"))
        .basic_auth("ops", Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "vhod:admin")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().expect("admin token").to_owned()
}

#[actix_web::test]
async fn the_admin_api_manages_clients_and_keys_and_audits_the_admin() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let api = |path: &str| app.url(&format!("/admin/api{path}"));

    let created = app
        .http
        .post(api("/clients"))
        .bearer_auth(&token)
        .json(&json!({ "client_id": "reports", "scope": "read write", "audiences": ["https://api.example.ru/"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let token_for = |secret: String| {
        app.http
            .post(app.url("/token"))
            .basic_auth("reports", Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    assert_eq!(token_for(secret.clone()).await.unwrap().status(), 200);

    let list: Value = app.http.get(api("/clients")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let one: Value =
        app.http.get(api("/clients/reports")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(one["scope"], "read write");
    assert!(one.get("client_secret").is_none());

    let updated = app
        .http
        .put(api("/clients/reports"))
        .bearer_auth(&token)
        .json(&json!({ "client_id": "reports", "client_name": "Reports", "scope": "read" }))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    let narrowed = app
        .http
        .post(app.url("/token"))
        .basic_auth("reports", Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "write")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(narrowed).await, "invalid_scope", "the update took effect at once on this node");

    let rotated: Value =
        app.http.post(api("/clients/reports/secret")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(token_for(secret).await.unwrap().status(), 401, "the old secret stops working");
    assert_eq!(token_for(new_secret.clone()).await.unwrap().status(), 200);

    let keys: Value = app.http.get(api("/keys")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 1);
    let key: Value =
        app.http.post(api("/keys/rotate?now=true")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(key["status"], "active");

    let deleted = app.http.delete(api("/clients/reports")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(token_for(new_secret).await.unwrap().status(), 401);
    let missing = app.http.get(api("/clients/reports")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let dup =
        app.http.post(api("/clients")).bearer_auth(&token).json(&json!({ "client_id": "ops" })).send().await.unwrap();
    assert_eq!(dup.status(), 409);
    let bad = app
        .http
        .post(api("/clients"))
        .bearer_auth(&token)
        .json(&json!({ "client_id": "x", "grant_types": ["implicit"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let unknown_field = app
        .http
        .post(api("/clients"))
        .bearer_auth(&token)
        .json(&json!({ "client_id": "x", "colour": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_field.status(), 400);

    let event = app.wait_for_audit("client.secret_rotated", "reports").await;
    assert_eq!(event.actor.as_deref(), Some("client:ops"));
    app.wait_for_audit_kind("key.rotated").await;
}

#[actix_web::test]
async fn the_admin_api_refuses_tokens_without_admin_rights() {
    let app = spawn_app().await;
    let url = app.url("/admin/api/clients");
    let none = app.http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert!(none.headers()["www-authenticate"].to_str().unwrap().contains("vhod:admin"));
    assert_eq!(app.http.get(&url).bearer_auth("garbage").send().await.unwrap().status(), 401);

    // A client without the admin flag cannot even get the scope…
    let created = app
        .create_client(ClientSpec { id: "sneaky".into(), scopes: vec!["vhod:admin read".into()], ..Default::default() })
        .await;
    let secret = secrecy::ExposeSecret::expose_secret(created.secret.as_ref().unwrap()).to_owned();
    let asked = app
        .http
        .post(app.url("/token"))
        .basic_auth("sneaky", Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "vhod:admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(asked).await, "invalid_scope");
    // …and its ordinary token is forbidden.
    let body: Value = app
        .http
        .post(app.url("/token"))
        .basic_auth("sneaky", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["scope"], "read", "vhod:admin is not granted by default to non-admins");
    let forbidden = app.http.get(&url).bearer_auth(body["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(forbidden.status(), 403);

    // A revoked admin token stops working.
    let token = admin_token(&app).await;
    assert_eq!(app.http.get(&url).bearer_auth(&token).send().await.unwrap().status(), 200);
    let ops_secret = {
        let audit = vhod::audit::Audit::direct(app.services.db.clone());
        vhod::admin::clients::rotate_secret(&app.services.db, &audit, "test", "ops").await.unwrap()
    };
    let revoke = app
        .http
        .post(app.url("/revoke"))
        .basic_auth("ops", Some(secrecy::ExposeSecret::expose_secret(&ops_secret)))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    assert_eq!(app.http.get(&url).bearer_auth(&token).send().await.unwrap().status(), 401);
}

#[actix_web::test]
async fn the_openapi_document_is_valid_and_matches_the_routes() {
    let app = spawn_app().await;
    let doc: Value = app.http.get(app.url("/admin/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|m| ["get", "post", "put", "delete", "patch"].contains(&m.as_str()))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> =
        vhod::http::admin::ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented, routed, "openapi.json and the route table disagree");
    // Every $ref resolves.
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"").skip(1).map(|r| r.split('"').next().unwrap()) {
        let pointer = reference.trim_start_matches('#');
        assert!(doc.pointer(pointer).is_some(), "dangling $ref {reference}");
    }
    // Every documented route answers (401 without a token, never 404 or 405).
    for (method, path) in &routed {
        let url = app.url(&format!("/admin/api{}", path.replace("{client_id}", "x")));
        let request = match method.as_str() {
            "get" => app.http.get(&url),
            "post" => app.http.post(&url),
            "put" => app.http.put(&url),
            _ => app.http.delete(&url),
        };
        assert_eq!(request.send().await.unwrap().status(), 401, "{method} {path}");
    }
}

#[actix_web::test]
async fn a_second_node_on_the_same_database_follows_a_rotation() {
    let db = Arc::new(TestDb::new());
    let kek = vhod::jose::Kek::generate();
    let a = spawn_app_on(db.clone(), kek.clone(), |_| {}).await;
    let b = spawn_app_on(db.clone(), kek, |_| {}).await;
    assert_eq!(a.jwks_kids().await, b.jwks_kids().await, "both nodes start on the same key");
    let token = admin_token(&a).await;
    let key: Value = a
        .http
        .post(a.url("/admin/api/keys/rotate?now=true"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = key["kid"].as_str().unwrap().to_owned();
    let started = std::time::Instant::now();
    wait_until("node B publishes and signs with the new key", || async { b.jwks_kids().await.first() == Some(&kid) })
        .await;
    assert!(started.elapsed() < Duration::from_secs(3), "agreement within the refresh interval (1 s) plus slack");
    // Tokens from either node verify against either node's JWKS.
    let (id, secret) = b.service_client("svc").await;
    let body: Value = b.client_credentials(&id, &secret).await.json().await.unwrap();
    let header = jsonwebtoken::decode_header(body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.kid.as_deref(), Some(kid.as_str()));
}

#[actix_web::test]
async fn scheduled_rotation_pre_publishes_then_signs_with_the_next_key() {
    let app = spawn_app_with(|s| {
        s.keys.rotation_period_secs = 2;
        s.keys.prepublish_secs = 2;
    })
    .await;
    let first = app.jwks_kids().await;
    wait_until("a scheduled key is published", || async { app.jwks_kids().await.len() == 2 }).await;
    let published = app.jwks_kids().await;
    assert_eq!(published[0], first[0], "the new key is published before it signs");
    let next = published[1].clone();
    wait_until("the scheduled key signs", || async { app.jwks_kids().await.first() == Some(&next) }).await;
    assert!(app.jwks_kids().await.contains(&first[0]), "the old key stays published");
    app.wait_for_audit_kind("key.rotated").await;
}
