//! Bad configuration stops the binary with one clear line naming the setting.

use std::process::Command;

use crate::helpers::TestDb;

/// Runs `vhod serve` (or another command) in an empty directory with `env`.
fn vhod(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_vhod"));
    command.args(args).current_dir(dir.path()).env_remove("RUST_LOG").env("VHOD__LOG__LEVEL", "error");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).trim().to_owned())
}

fn assert_one_line_naming(stderr: &str, setting: &str, env: &str) {
    assert_eq!(stderr.lines().count(), 1, "exactly one line: {stderr}");
    assert!(stderr.contains(setting) && stderr.contains(env), "names {setting} / {env}: {stderr}");
}

#[test]
fn an_unknown_database_scheme_is_refused_and_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_vhod"))
        .args(["serve"])
        .current_dir(dir.path())
        .env("VHOD__DATABASE__URL", "postgres:idp")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_one_line_naming(stderr.trim(), "database.url", "VHOD__DATABASE__URL");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no stray SQLite file");
    let (ok, stderr) = vhod(&["serve"], &[("VHOD__DATABASE__URL", "mysql://localhost/vhod")]);
    assert!(!ok);
    assert!(stderr.contains("unknown scheme `mysql`"), "{stderr}");
}

#[test]
fn an_unreachable_database_stops_startup_without_leaking_the_password() {
    let (ok, stderr) = vhod(&["serve"], &[("VHOD__DATABASE__URL", "postgres://vhod:s3cretpw@127.0.0.1:1/vhod")]);
    assert!(!ok);
    assert_one_line_naming(&stderr, "database.url", "VHOD__DATABASE__URL");
    assert!(!stderr.contains("s3cretpw"), "{stderr}");
}

#[test]
fn a_malformed_issuer_or_bind_address_stops_startup() {
    for issuer in ["id.example.ru", "https://id.example.ru/?x=1", "ftp://id.example.ru"] {
        let (ok, stderr) = vhod(&["serve"], &[("VHOD__SERVER__ISSUER", issuer)]);
        assert!(!ok, "{issuer}");
        assert_one_line_naming(&stderr, "server.issuer", "VHOD__SERVER__ISSUER");
    }
    let (ok, stderr) = vhod(&["serve"], &[("VHOD__SERVER__BIND", "localhost")]);
    assert!(!ok);
    assert_one_line_naming(&stderr, "server.bind", "VHOD__SERVER__BIND");
}

#[test]
fn unreachable_redis_unknown_settings_and_bad_values_stop_startup() {
    let db = TestDb::new();
    let (ok, stderr) = vhod(
        &["serve"],
        &[
            ("VHOD__DATABASE__URL", &db.url),
            ("VHOD__STATE__URL", "redis://:pw@127.0.0.1:1/"),
            ("VHOD__KEYS__KEK", secrecy::ExposeSecret::expose_secret(&vhod::jose::Kek::generate())),
        ],
    );
    assert!(!ok);
    assert_one_line_naming(&stderr, "state.url", "VHOD__STATE__URL");
    let (ok, stderr) = vhod(&["serve"], &[("VHOD__STATE__URL", "memcached://x")]);
    assert!(!ok);
    assert_one_line_naming(&stderr, "state.url", "VHOD__STATE__URL");
    let (ok, stderr) = vhod(&["serve"], &[("VHOD__SERVER__BINDD", "127.0.0.1:1")]);
    assert!(!ok);
    assert_one_line_naming(&stderr, "server.bindd", "VHOD__SERVER__BINDD");
    let (ok, stderr) = vhod(&["serve"], &[("VHOD__DATABASE__POOL_SIZE", "many")]);
    assert!(!ok);
    assert_one_line_naming(&stderr, "database.pool_size", "VHOD__DATABASE__POOL_SIZE");
    let (ok, stderr) = vhod(&["serve"], &[("VHOD__LOG__FORMAT", "xml")]);
    assert!(!ok);
    assert_one_line_naming(&stderr, "log.format", "VHOD__LOG__FORMAT");
    let (ok, stderr) = vhod(&["serve"], &[("VHOD__KEYS__KEK", "short")]);
    assert!(!ok);
    assert!(stderr.contains("keys.kek"), "{stderr}");
}

#[test]
fn a_missing_config_file_is_named_and_a_file_is_layered_under_the_environment() {
    let (ok, stderr) = vhod(&["--config", "/nonexistent/vhod.toml", "serve"], &[]);
    assert!(!ok);
    assert!(stderr.contains("/nonexistent/vhod.toml"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("custom.toml");
    std::fs::write(&file, "[server]\nissuer = \"not a url\"\n").unwrap();
    let (ok, stderr) = vhod(&["--config", file.to_str().unwrap(), "migrate"], &[]);
    assert!(!ok);
    assert_one_line_naming(&stderr, "server.issuer", "VHOD__SERVER__ISSUER");
    // The environment overrides the file.
    let db = TestDb::new();
    let (ok, stderr) = vhod(
        &["--config", file.to_str().unwrap(), "migrate"],
        &[("VHOD__SERVER__ISSUER", "https://id.example.ru"), ("VHOD__DATABASE__URL", &db.url)],
    );
    assert!(ok, "{stderr}");
}
