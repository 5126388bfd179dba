//! Test harness: fresh databases, a running app on port 0, a client registered through
//! the same service the CLI uses.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use diesel::{Connection, RunQueryDsl};
use secrecy::{ExposeSecret, SecretString};
use vhod::admin::clients::{ClientSpec, CreatedClient};
use vhod::app::Services;
use vhod::audit::Audit;
use vhod::config::Settings;
use vhod::db::models::audit_event::{self, AuditEventRow};
use vhod::jose::Kek;
use vhod::startup::Application;

/// A database that exists for one test.
pub struct TestDb {
    /// URL the app uses.
    pub url: String,
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A new empty database on the configured backend.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("VHOD_TEST_DATABASE_URL") {
            Ok(server) if !server.is_empty() => {
                let name = format!("vhod_test_{}", random_suffix());
                let mut admin = diesel::PgConnection::establish(&server)
                    .unwrap_or_else(|e| panic!("VHOD_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("create database");
                let mut url = url::Url::parse(&server).expect("VHOD_TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                Self { url: url.to_string(), dir, postgres: Some((server, name)) }
            }
            _ => {
                let url = format!("sqlite://{}", dir.path().join("vhod.db").display());
                Self { url, dir, postgres: None }
            }
        }
    }

    /// Whether this test runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// A scratch directory that lives as long as the database.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Makes the database unreachable for the running app (PostgreSQL only).
    pub fn drop_now(&self) {
        if let Some((server, name)) = &self.postgres {
            let mut admin = diesel::PgConnection::establish(server).expect("admin connection");
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .expect("drop");
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres
            && let Ok(mut admin) = diesel::PgConnection::establish(server)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
        }
    }
}

/// Lowercase random suffix for database names and key prefixes.
pub fn random_suffix() -> String {
    vhod::jose::random_token(9).to_lowercase().replace(['-', '_'], "x")
}

/// `VHOD_TEST_REDIS_URL` when set and non-empty.
pub fn test_redis_url() -> Option<String> {
    std::env::var("VHOD_TEST_REDIS_URL").ok().filter(|v| !v.is_empty())
}

/// Settings for a test app: given database, configured state store, throwaway KEK.
pub fn test_settings(db: &TestDb, kek: &SecretString) -> Settings {
    let mut s = Settings::default();
    s.server.bind = "127.0.0.1:0".into();
    s.server.workers = 2;
    s.database.url = SecretString::from(db.url.clone());
    s.database.pool_size = 4;
    if let Some(redis) = test_redis_url() {
        s.state.url = SecretString::from(redis);
        s.state.key_prefix = format!("vhodtest:{}:", random_suffix());
    }
    s.keys.kek = Some(kek.clone());
    s.keys.refresh_secs = 1;
    // CLI changes must be visible at once; the cache has its own test.
    s.clients.cache_ttl_secs = 0;
    s.log.level = "warn".into();
    s
}

/// A running app.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// HTTP client that follows no redirects.
    pub http: reqwest::Client,
    /// Shared services of the running node.
    pub services: Services,
    /// The settings it runs with.
    pub settings: Settings,
    /// Its database.
    pub db: std::sync::Arc<TestDb>,
    /// The throwaway KEK.
    pub kek: SecretString,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    /// `address` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Registers a client through the admin service (as the CLI does).
    pub async fn create_client(&self, spec: ClientSpec) -> CreatedClient {
        let audit = Audit::direct(self.services.db.clone());
        vhod::admin::clients::create(&self.services.db, &audit, "test", spec).await.expect("create client")
    }

    /// A client_credentials client with scopes `read write` and one audience.
    pub async fn service_client(&self, id: &str) -> (String, String) {
        let created = self
            .create_client(ClientSpec {
                id: id.into(),
                scopes: vec!["read write".into()],
                audiences: vec!["https://api.example.ru/".into()],
                ..Default::default()
            })
            .await;
        (created.client.client_id, created.secret.expect("secret").expose_secret().to_owned())
    }

    /// Newest audit events, newest first.
    pub async fn audit_events(&self) -> Vec<AuditEventRow> {
        self.services.db.run(|conn| audit_event::recent(conn, 200)).await.expect("read audit log")
    }

    /// Waits (up to 5 s) for an audit event of `kind` for `client`.
    pub async fn wait_for_audit(&self, kind: &str, client: &str) -> AuditEventRow {
        for _ in 0..100 {
            let found = self
                .audit_events()
                .await
                .into_iter()
                .find(|e| e.kind == kind && e.client_id.as_deref() == Some(client));
            if let Some(event) = found {
                return event;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no audit event {kind} for {client}");
    }

    /// Waits (up to 5 s) for an audit event of `kind`.
    pub async fn wait_for_audit_kind(&self, kind: &str) -> AuditEventRow {
        for _ in 0..100 {
            if let Some(event) = self.audit_events().await.into_iter().find(|e| e.kind == kind) {
                return event;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no audit event {kind}");
    }

    /// `POST /token` with client_credentials and HTTP Basic.
    pub async fn client_credentials(&self, id: &str, secret: &str) -> reqwest::Response {
        self.http
            .post(self.url("/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap()
    }

    /// The `kid`s in `/jwks`, in published order.
    pub async fn jwks_kids(&self) -> Vec<String> {
        let body: serde_json::Value = self.http.get(self.url("/jwks")).send().await.unwrap().json().await.unwrap();
        body["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }

    /// The userinfo response for an access token.
    pub async fn userinfo(&self, access_token: &str) -> serde_json::Value {
        let response = self.http.get(self.url("/userinfo")).bearer_auth(access_token).send().await.unwrap();
        response.json().await.unwrap()
    }

    /// Runs the `vhod` binary against this app's database and KEK.
    pub fn cli(&self, args: &[&str]) -> Output {
        run_cli(&self.db, &self.kek, args, &[])
    }
}

/// Runs the `vhod` binary in the test's scratch directory with its database and KEK.
pub fn run_cli(db: &TestDb, kek: &SecretString, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vhod"));
    command
        .args(args)
        .current_dir(db.dir())
        .env_remove("RUST_LOG")
        .env("VHOD__DATABASE__URL", &db.url)
        .env("VHOD__KEYS__KEK", kek.expose_secret())
        .env("VHOD__LOG__LEVEL", "warn");
    for (k, v) in extra_env {
        command.env(k, v);
    }
    command.output().expect("run vhod binary")
}

/// Starts an app on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(std::sync::Arc::new(TestDb::new()), Kek::generate(), |_| {}).await
}

/// Starts an app with adjusted settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(std::sync::Arc::new(TestDb::new()), Kek::generate(), adjust).await
}

/// Starts an app on an existing database with a given KEK.
pub async fn spawn_app_on(
    db: std::sync::Arc<TestDb>,
    kek: SecretString,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let port = listener.local_addr().unwrap().port();
    let mut settings = test_settings(&db, &kek);
    settings.server.issuer = format!("http://127.0.0.1:{port}");
    adjust(&mut settings);
    let config = settings.validate().expect("valid test settings");
    let app = Application::build_with_listener(config, listener).await.expect("app starts");
    let services = app.services().clone();
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { address: format!("http://127.0.0.1:{port}"), http, services, settings, db, kek, handle }
}

/// Polls `check` every 100 ms for up to 10 s.
pub async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within 10 s");
}

/// Parses a JSON error body and returns `error`.
pub async fn error_code(response: reqwest::Response) -> String {
    let body: serde_json::Value = response.json().await.expect("JSON error body");
    body["error"].as_str().expect("error member").to_owned()
}
