//! Introspection (RFC 7662) and revocation (RFC 7009).

use openidconnect::{OAuth2TokenResponse, TokenResponse as _};
use serde_json::Value;

use crate::flow::{WebClient, browser, citizen, code_flow_tokens, web_client};
use crate::helpers::{TestApp, error_code, spawn_app};

const PASSWORD: &str = "correct horse battery staple";

async fn post(app: &TestApp, path: &str, client: (&str, &str), form: &[(&str, &str)]) -> reqwest::Response {
    app.http.post(app.url(path)).basic_auth(client.0, Some(client.1)).form(form).send().await.unwrap()
}

async fn introspect(app: &TestApp, client: (&str, &str), token: &str) -> Value {
    let response = post(app, "/introspect", client, &[("token", token)]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

/// Signs a citizen in through `client` and returns its tokens.
async fn user_tokens(app: &TestApp, client: &WebClient) -> (String, String) {
    let tokens = code_flow_tokens(app, &browser(), client, &["email", "offline_access"], ("ivanov", PASSWORD)).await;
    assert!(tokens.id_token().is_some());
    (tokens.access_token().secret().clone(), tokens.refresh_token().unwrap().secret().clone())
}

#[actix_web::test]
async fn introspection_describes_own_tokens_and_hides_others() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let portal = web_client(&app, "portal", "rp.example.ru", |s| s.first_party = true).await;
    let (access, refresh) = user_tokens(&app, &portal).await;
    let me = ("portal", portal.secret.as_str());

    let info = introspect(&app, me, &access).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["client_id"], "portal");
    assert_eq!(info["token_type"], "Bearer");
    assert!(info["scope"].as_str().unwrap().contains("email"));
    assert!(info["exp"].as_i64().is_some() && info["sub"].as_str().is_some());
    let info = introspect(&app, me, &refresh).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["token_type"], "refresh_token");

    // Another client learns nothing, and the attempt is audited.
    let (other, other_secret) = app.service_client("nosy").await;
    assert_eq!(introspect(&app, (&other, &other_secret), &access).await, serde_json::json!({ "active": false }));
    assert_eq!(introspect(&app, (&other, &other_secret), &refresh).await, serde_json::json!({ "active": false }));
    app.wait_for_audit("introspection.denied", "nosy").await;

    // A resource server named in `aud` may introspect.
    let (svc, svc_secret) = app.service_client("billing").await;
    let cc: Value =
        post(&app, "/token", (&svc, &svc_secret), &[("grant_type", "client_credentials")]).await.json().await.unwrap();
    let api_token = cc["access_token"].as_str().unwrap();
    let (api, api_secret) = {
        let created = app
            .create_client(vhod::admin::clients::ClientSpec {
                id: "api".into(),
                audiences: vec!["https://api.example.ru/".into()],
                ..Default::default()
            })
            .await;
        ("api".to_owned(), secrecy::ExposeSecret::expose_secret(created.secret.as_ref().unwrap()).to_owned())
    };
    assert_eq!(introspect(&app, (&api, &api_secret), api_token).await["active"], true);

    for garbage in ["", "not-a-token", "a.b.c"] {
        if garbage.is_empty() {
            let response = post(&app, "/introspect", me, &[]).await;
            assert_eq!(error_code(response).await, "invalid_request");
        } else {
            assert_eq!(introspect(&app, me, garbage).await["active"], false);
        }
    }
    let unauthenticated =
        app.http.post(app.url("/introspect")).form(&[("token", access.as_str())]).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
}

#[actix_web::test]
async fn revoked_tokens_fail_at_userinfo_introspection_and_refresh() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let portal = web_client(&app, "portal", "rp.example.ru", |s| s.first_party = true).await;
    let me = ("portal", portal.secret.as_str());
    let (access, refresh) = user_tokens(&app, &portal).await;

    // Another client cannot revoke them (but still gets 200).
    let (other, other_secret) = app.service_client("other").await;
    let response = post(&app, "/revoke", (&other, &other_secret), &[("token", access.as_str())]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(introspect(&app, me, &access).await["active"], true);

    let response = post(&app, "/revoke", me, &[("token", access.as_str()), ("token_type_hint", "access_token")]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(introspect(&app, me, &access).await["active"], false);
    let userinfo = app.http.get(app.url("/userinfo")).bearer_auth(&access).send().await.unwrap();
    assert_eq!(userinfo.status(), 401);

    let response = post(&app, "/revoke", me, &[("token", refresh.as_str())]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(introspect(&app, me, &refresh).await["active"], false);
    let refreshed =
        post(&app, "/token", me, &[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())]).await;
    assert_eq!(error_code(refreshed).await, "invalid_grant");
    app.wait_for_audit("token.revoked", "portal").await;

    let unknown = post(&app, "/revoke", me, &[("token", "never-issued")]).await;
    assert_eq!(unknown.status(), 200, "unknown tokens answer 200");
    let bad_hint = post(&app, "/revoke", me, &[("token", "x"), ("token_type_hint", "id_token")]).await;
    assert_eq!(error_code(bad_hint).await, "unsupported_token_type");
}
