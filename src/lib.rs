//! Vhod, an OpenID Connect provider.
//!
//! Layers, and the only allowed direction of dependency (see `docs/ARCHITECTURE.md`):
//!
//! ```text
//! http                                  actix-web: routes, extractors, status codes
//!   └─> oidc · login · accounts · admin · keys   protocol and domain services, no actix types
//!         └─> db · state · jose · credentials · audit · notify
//!               └─> domain              validated newtypes
//! ```
//!
//! `config`, `telemetry`, `app` and `startup` wire the layers together.

pub mod accounts;
pub mod admin;
pub mod app;
pub mod audit;
pub mod clients;
pub mod config;
pub mod credentials;
pub mod db;
pub mod domain;
pub mod federation;
pub mod http;
pub mod jose;
pub mod keys;
pub mod login;
pub mod notify;
pub mod oidc;
pub mod pdf;
pub mod registration;
pub mod staff;
pub mod startup;
pub mod state;
pub mod telemetry;
