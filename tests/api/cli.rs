//! The admin CLI drives the same services as the server.

use serde_json::Value;

use crate::helpers::spawn_app;

fn stdout_json(output: &std::process::Output) -> Value {
    assert!(output.status.success(), "status {:?}, stderr: {}", output.status, String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

#[actix_web::test]
async fn clients_created_by_the_cli_get_tokens_and_can_be_listed_shown_and_deleted() {
    let app = spawn_app().await;
    let created = stdout_json(&app.cli(&[
        "clients",
        "create",
        "--id",
        "billing",
        "--scope",
        "read",
        "--scope",
        "write",
        "--audience",
        "https://api.example.ru/",
        "--json",
    ]));
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 43, "generated secrets carry at least 256 bits");
    assert_eq!(created["scope"], "read write");

    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth("billing", Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "write")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let list = stdout_json(&app.cli(&["clients", "list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&secret), "secrets are never shown again");
    let shown = stdout_json(&app.cli(&["clients", "show", "billing", "--json"]));
    assert_eq!(shown["client_id"], "billing");
    assert!(shown.get("client_secret").is_none());

    let text = app.cli(&["clients", "show", "billing"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("client_id: billing"));

    stdout_json(&app.cli(&["clients", "delete", "billing", "--json"]));
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth("billing", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "a deleted client cannot authenticate");
    let missing = app.cli(&["clients", "show", "billing"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("client billing not found"));
}

#[actix_web::test]
async fn chosen_secrets_must_be_long_and_ids_unique() {
    let app = spawn_app().await;
    let short = app.cli(&["clients", "create", "--id", "a", "--secret", "only-twenty-chars-xx"]);
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 32 characters"));

    let chosen = "this-secret-was-chosen-by-the-operator-1";
    stdout_json(&app.cli(&["clients", "create", "--id", "a", "--secret", chosen, "--json"]));
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth("a", Some(chosen))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let again = app.cli(&["clients", "create", "--id", "a"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let bad = app.cli(&["clients", "create", "--id", "b", "--grant-type", "implicit"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("grant type"));
    let bad = app.cli(&[
        "clients",
        "create",
        "--id",
        "c",
        "--grant-type",
        "authorization_code",
        "--redirect-uri",
        "http://rp.example.ru/cb",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("https"));
}

#[actix_web::test]
async fn users_are_created_with_argon2id_hashes() {
    let app = spawn_app().await;
    let user = stdout_json(&app.cli(&[
        "users",
        "create",
        "--username",
        "ivanov",
        "--password",
        "correct horse battery",
        "--json",
    ]));
    assert_eq!(user["username"], "ivanov");
    let stored = app
        .services
        .db
        .run(|conn| vhod::db::models::user::find_by_username(conn, "ivanov"))
        .await
        .unwrap()
        .expect("stored");
    let phc = stored.password_hash.expect("hash");
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(!phc.contains("correct horse"));
    let dup = app.cli(&["users", "create", "--username", "ivanov", "--password", "another password"]);
    assert!(!dup.status.success());
    let short = app.cli(&["users", "create", "--username", "petrov", "--password", "short"]);
    assert!(String::from_utf8_lossy(&short.stderr).contains("password"));
}

#[actix_web::test]
async fn cli_actions_are_audited() {
    let app = spawn_app().await;
    stdout_json(&app.cli(&["clients", "create", "--id", "audited", "--json"]));
    let event = app.wait_for_audit("client.created", "audited").await;
    assert_eq!(event.actor.as_deref(), Some("cli"));
    stdout_json(&app.cli(&["clients", "delete", "audited", "--json"]));
    app.wait_for_audit("client.deleted", "audited").await;
}
