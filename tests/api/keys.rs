//! Keys survive restarts, rotate with publication before use, and need the right KEK.

use std::sync::Arc;

use serde_json::Value;

use crate::helpers::{TestApp, TestDb, run_cli, spawn_app, spawn_app_on, wait_until};

async fn token_kid(app: &TestApp, id: &str, secret: &str) -> String {
    let body: Value = app.client_credentials(id, secret).await.json().await.unwrap();
    jsonwebtoken::decode_header(body["access_token"].as_str().unwrap()).unwrap().kid.unwrap()
}

#[actix_web::test]
async fn restarting_keeps_the_signing_key_and_every_client() {
    let db = Arc::new(TestDb::new());
    let kek = vhod::jose::Kek::generate();
    let first = spawn_app_on(db.clone(), kek.clone(), |_| {}).await;
    let (id, secret) = first.service_client("durable").await;
    let kid = first.jwks_kids().await;
    first.stop().await;

    let second = spawn_app_on(db, kek, |_| {}).await;
    assert_eq!(second.jwks_kids().await, kid);
    assert_eq!(token_kid(&second, &id, &secret).await, kid[0]);
}

#[actix_web::test]
async fn a_wrong_key_encryption_key_stops_startup_with_a_clear_message() {
    let app = spawn_app().await;
    let db = app.db.clone();
    app.stop().await;
    let other_kek = vhod::jose::Kek::generate();
    let output = run_cli(&db, &other_kek, &["keys", "list"], &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("keys.kek") && stderr.contains("key-encryption key"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");
}

#[actix_web::test]
async fn rotation_publishes_the_next_key_first_and_keeps_the_old_one_until_its_tokens_expire() {
    let app = spawn_app().await;
    let (id, secret) = app.service_client("svc").await;
    let original = app.jwks_kids().await;
    assert_eq!(original.len(), 1);

    // Default rotation pre-publishes: the new key is in JWKS but does not sign yet.
    let output = app.cli(&["keys", "rotate", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let pending: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(pending["status"], "pending");
    let pending_kid = pending["kid"].as_str().unwrap().to_owned();
    wait_until("the key set changes", || async { app.jwks_kids().await.contains(&pending_kid) }).await;
    assert_eq!(token_kid(&app, &id, &secret).await, original[0], "a pending key does not sign");

    // Immediate rotation: the newest key signs, the superseded ones stay published.
    let output = app.cli(&["keys", "rotate", "--now", "--json"]);
    assert!(output.status.success());
    let active: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(active["status"], "active");
    let active_kid = active["kid"].as_str().unwrap().to_owned();
    wait_until("the key set changes", || async { token_kid(&app, &id, &secret).await == active_kid }).await;
    let published = app.jwks_kids().await;
    assert_eq!(published[0], active_kid, "the signing key comes first");
    assert!(published.contains(&original[0]), "the old key stays until its tokens expire");
    assert!(published.contains(&pending_kid));

    let list = app.cli(&["keys", "list", "--json"]);
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    let status_of = |kid: &str| {
        list.as_array().unwrap().iter().find(|k| k["kid"] == kid).map(|k| k["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status_of(&original[0]).as_deref(), Some("retiring"));
    assert_eq!(status_of(&active_kid).as_deref(), Some("active"));
    let retiring = list.as_array().unwrap().iter().find(|k| k["kid"] == original[0].as_str()).unwrap();
    let until = retiring["published_until"].as_i64().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!(until >= now + 900, "published at least one access-token lifetime after retirement");
}
