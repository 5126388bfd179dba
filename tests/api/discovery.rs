//! Discovery metadata and JWKS.

use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with};

#[actix_web::test]
async fn discovery_names_the_issuer_exactly_and_only_working_endpoints() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["issuer"], app.settings.server.issuer.as_str());
    assert_eq!(doc["token_endpoint"], app.url("/token"));
    assert_eq!(doc["jwks_uri"], app.url("/jwks"));
    assert_eq!(doc["userinfo_endpoint"], app.url("/userinfo"));
    assert_eq!(doc["authorization_endpoint"], app.url("/authorize"));
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(doc["request_uri_parameter_supported"], false, "the default would claim request_uri support");
    // Every advertised endpoint answers (not 404).
    for field in ["authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"] {
        let url = doc[field].as_str().unwrap();
        let get_status = app.http.get(url).send().await.unwrap().status();
        let post_status = app.http.post(url).send().await.unwrap().status();
        assert!(get_status != 404 || post_status != 404, "{field} {url} is not served");
    }
    // Nothing advertised that does not exist yet.
    assert!(doc.get("registration_endpoint").is_none(), "registration advertised before it works");
    // A real relying-party library accepts the document.
    let parsed = openidconnect::core::CoreProviderMetadata::discover_async(
        openidconnect::IssuerUrl::new(app.address.clone()).unwrap(),
        &app.http,
    )
    .await
    .expect("openidconnect parses the discovery document and its JWKS");
    assert_eq!(parsed.issuer().as_str(), app.settings.server.issuer);
    assert_eq!(parsed.jwks().keys().len(), 1);
    let rfc8414: Value =
        app.http.get(app.url("/.well-known/oauth-authorization-server")).send().await.unwrap().json().await.unwrap();
    assert_eq!(rfc8414, doc);
}

#[actix_web::test]
async fn the_issuer_is_published_exactly_as_configured() {
    let app = spawn_app_with(|s| s.server.issuer = "https://id.example.ru/portal/".into()).await;
    let doc: Value =
        app.http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["issuer"], "https://id.example.ru/portal/");
    assert_eq!(doc["token_endpoint"], "https://id.example.ru/portal/token");
}

/// RFC 7638 §3 computed independently of the server's code.
fn thumbprint(n: &str, e: &str) -> String {
    use base64::Engine as _;
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

#[actix_web::test]
async fn jwks_publishes_public_rsa_keys_with_thumbprint_kids_and_is_cacheable() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/jwks")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let key = keys[0].as_object().unwrap();
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["use"], "sig");
    for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
        assert!(!key.contains_key(private), "private member {private} published");
    }
    let n = key["n"].as_str().unwrap();
    assert_eq!(key["kid"].as_str().unwrap(), thumbprint(n, key["e"].as_str().unwrap()));
    use base64::Engine as _;
    let modulus = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(n).unwrap();
    assert_eq!(modulus.len() * 8, 2048, "RSA-2048");

    let again = app.http.get(app.url("/jwks")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
}

#[actix_web::test]
async fn unknown_paths_get_a_json_404() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/nope")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}
