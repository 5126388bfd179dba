//! The two migration directories must stay in step.

use std::collections::BTreeSet;
use std::path::Path;

use vhod::db::migrations::{POSTGRES, SQLITE, names};

fn directory(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| {
            let path = entry.path();
            for file in ["up.sql", "down.sql"] {
                assert!(path.join(file).is_file(), "{} lacks {file}", path.display());
            }
            entry.file_name().to_string_lossy().into_owned()
        })
        .collect()
}

#[test]
fn postgres_and_sqlite_migrations_have_the_same_versions() {
    let postgres = directory("postgres");
    let sqlite = directory("sqlite");
    assert!(!postgres.is_empty());
    assert_eq!(postgres, sqlite, "every migration needs a twin in the other backend's directory");
    let embedded_pg = names::<diesel::pg::Pg>(&POSTGRES);
    let embedded_sqlite = names::<diesel::sqlite::Sqlite>(&SQLITE);
    assert_eq!(embedded_pg, embedded_sqlite);
    assert_eq!(embedded_pg.len(), postgres.len(), "the binary embeds every migration");
}
