//! Redis store on a deadpool-redis pool. Single-use reads are `GETDEL`; counters are a
//! Lua script so the window is set atomically with the first increment.

use std::time::Duration;

use deadpool_redis::{Config, Pool, Runtime};
use redis::AsyncCommands;
use secrecy::{ExposeSecret, SecretString};

use super::{EphemeralStore, StateError};

const INCR_WITH_WINDOW: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n";

/// The multi-node store. Cloning shares the pool.
#[derive(Clone)]
pub struct RedisStore {
    pool: Pool,
    prefix: String,
    incr: redis::Script,
}

fn unavailable(e: impl std::fmt::Display) -> StateError {
    StateError::Unavailable(e.to_string())
}

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisStore {
    /// Builds the pool (connections open lazily).
    pub fn connect(url: &SecretString, prefix: &str, pool_size: usize) -> Result<Self, StateError> {
        let mut config = Config::from_url(url.expose_secret());
        config.pool = Some(deadpool_redis::PoolConfig {
            max_size: pool_size,
            timeouts: deadpool_redis::Timeouts {
                wait: Some(Duration::from_secs(3)),
                create: Some(Duration::from_secs(3)),
                recycle: Some(Duration::from_secs(3)),
            },
            ..Default::default()
        });
        let pool = config.create_pool(Some(Runtime::Tokio1)).map_err(unavailable)?;
        Ok(Self { pool, prefix: prefix.to_owned(), incr: redis::Script::new(INCR_WITH_WINDOW) })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    async fn conn(&self) -> Result<deadpool_redis::Connection, StateError> {
        self.pool.get().await.map_err(unavailable)
    }
}

impl EphemeralStore for RedisStore {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StateError> {
        let mut conn = self.conn().await?;
        let opts = redis::SetOptions::default().with_expiration(redis::SetExpiry::PX(millis(ttl)));
        let _: () = conn.set_options(self.key(key), value, opts).await.map_err(unavailable)?;
        Ok(())
    }

    async fn put_new(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StateError> {
        let mut conn = self.conn().await?;
        let opts = redis::SetOptions::default()
            .conditional_set(redis::ExistenceCheck::NX)
            .with_expiration(redis::SetExpiry::PX(millis(ttl)));
        let set: Option<String> = conn.set_options(self.key(key), value, opts).await.map_err(unavailable)?;
        Ok(set.is_some())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        let mut conn = self.conn().await?;
        conn.get(self.key(key)).await.map_err(unavailable)
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        let mut conn = self.conn().await?;
        conn.get_del(self.key(key)).await.map_err(unavailable)
    }

    async fn delete(&self, key: &str) -> Result<bool, StateError> {
        let mut conn = self.conn().await?;
        let n: u64 = conn.del(self.key(key)).await.map_err(unavailable)?;
        Ok(n > 0)
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StateError> {
        let mut conn = self.conn().await?;
        self.incr.key(self.key(key)).arg(millis(ttl)).invoke_async(&mut conn).await.map_err(unavailable)
    }

    async fn ping(&self) -> Result<(), StateError> {
        let mut conn = self.conn().await?;
        let _: String = redis::cmd("PING").query_async(&mut conn).await.map_err(unavailable)?;
        Ok(())
    }
}
