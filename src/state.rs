//! Ephemeral state with time-to-live: browser sessions, authorization codes, one-time
//! codes, login transactions and rate-limit counters. Losing it signs people out; it
//! never loses an account or a grant.
//!
//! [`EphemeralStore`] is the contract; [`MemoryStore`] (one node) and [`RedisStore`]
//! (many nodes) implement it, and [`StateStore`] picks one from configuration.
//! Single-use values are consumed with [`EphemeralStore::take`], which is atomic in both
//! implementations, so two nodes can never both redeem one code.

mod memory;
mod redis;

use std::future::Future;
use std::time::Duration;

pub use memory::MemoryStore;
pub use redis::RedisStore;

use crate::config::StateUrl;

/// State-store errors.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The store cannot be reached.
    #[error("state store unavailable: {0}")]
    Unavailable(String),
}

/// Key–value operations with expiry. Keys are plain strings; implementations add their
/// own namespace.
pub trait EphemeralStore: Send + Sync {
    /// Stores `value` under `key` for `ttl`, replacing any previous value.
    fn put(&self, key: &str, value: &[u8], ttl: Duration) -> impl Future<Output = Result<(), StateError>> + Send;
    /// Stores `value` only if `key` is absent; returns whether it was stored.
    fn put_new(&self, key: &str, value: &[u8], ttl: Duration) -> impl Future<Output = Result<bool, StateError>> + Send;
    /// Reads a live value.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, StateError>> + Send;
    /// Reads and removes a value in one atomic step.
    fn take(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, StateError>> + Send;
    /// Removes a value; returns whether it existed.
    fn delete(&self, key: &str) -> impl Future<Output = Result<bool, StateError>> + Send;
    /// Increments a counter whose window of `ttl` starts at its first increment;
    /// returns the new count.
    fn incr(&self, key: &str, ttl: Duration) -> impl Future<Output = Result<u64, StateError>> + Send;
    /// Checks the store answers.
    fn ping(&self) -> impl Future<Output = Result<(), StateError>> + Send;

    /// The current value of a counter kept with [`EphemeralStore::incr`] (0 when absent).
    fn count(&self, key: &str) -> impl Future<Output = Result<u64, StateError>> + Send {
        async move {
            let raw = self.get(key).await?;
            Ok(raw.and_then(|v| String::from_utf8(v).ok()).and_then(|v| v.parse().ok()).unwrap_or(0))
        }
    }
}

/// The configured store.
#[derive(Clone)]
pub enum StateStore {
    /// In-process.
    Memory(MemoryStore),
    /// Redis.
    Redis(RedisStore),
}

impl StateStore {
    /// Opens the store named by configuration; Redis is pinged so a wrong URL fails now.
    pub async fn open(url: &StateUrl, prefix: &str, pool_size: usize) -> Result<Self, StateError> {
        match url {
            StateUrl::Memory => Ok(Self::Memory(MemoryStore::new())),
            StateUrl::Redis(url) => {
                let store = RedisStore::connect(url, prefix, pool_size)?;
                store.ping().await?;
                Ok(Self::Redis(store))
            }
        }
    }

    /// `memory` or `redis`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Memory(_) => "memory",
            Self::Redis(_) => "redis",
        }
    }
}

macro_rules! delegate {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            StateStore::Memory($s) => $call.await,
            StateStore::Redis($s) => $call.await,
        }
    };
}

impl EphemeralStore for StateStore {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StateError> {
        delegate!(self, s => s.put(key, value, ttl))
    }
    async fn put_new(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StateError> {
        delegate!(self, s => s.put_new(key, value, ttl))
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        delegate!(self, s => s.get(key))
    }
    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        delegate!(self, s => s.take(key))
    }
    async fn delete(&self, key: &str) -> Result<bool, StateError> {
        delegate!(self, s => s.delete(key))
    }
    async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StateError> {
        delegate!(self, s => s.incr(key, ttl))
    }
    async fn ping(&self) -> Result<(), StateError> {
        delegate!(self, s => s.ping())
    }
}
