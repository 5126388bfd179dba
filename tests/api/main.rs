//! The one integration-test binary: every test starts the real app on port 0 with a
//! fresh database and talks HTTP to it. Backends come from the environment:
//! `VHOD_TEST_DATABASE_URL` (a PostgreSQL server URL; a new database per test) and
//! `VHOD_TEST_REDIS_URL` (Redis, a fresh key prefix per test); without them, SQLite in a
//! temporary directory and the in-process state store.

mod helpers;

mod accounts;
mod admin;
mod assertion;
mod assisted;
mod authorize;
mod cases;
mod cli;
mod device;
mod discovery;
mod fakes;
mod federation;
mod flow;
mod health;
mod introspect;
mod keys;
mod logout;
mod migrations;
mod passkey;
mod qr;
mod register;
mod representation;
mod startup;
mod state;
mod token;
mod upstream;
