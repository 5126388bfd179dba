//! Rebuild when migrations change: `embed_migrations!` cannot see that by itself.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
