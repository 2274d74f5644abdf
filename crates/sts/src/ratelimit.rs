//! Per-parent issuance rate limit: a token bucket per parent identity, answering allow or
//! `Throttling` (minio/minio#21404: one user's flood of AssumeRole calls must not hurt others).
//!
//! Time is passed in (from the injected [`crate::clock::Clock`]). Memory is bounded: at most
//! `max_tracked` parents are tracked; a bucket that has refilled to `burst` is identical to an
//! absent one, so those are evicted first (no behaviour change), then the least recently used.
//! Buckets live in independently locked shards so parents rarely contend.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard};

use time::OffsetDateTime;

use crate::error::{StsError, StsErrorCode};

const SHARDS: usize = 16;

/// Limiter settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitConfig {
    /// Sustained credentials per second per parent (> 0).
    pub per_second: f64,
    /// Credentials a parent may take at once after being idle (≥ 1).
    pub burst: u32,
    /// Most parents tracked at once (memory bound; ≥ 1).
    pub max_tracked: usize,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            per_second: 10.0,
            burst: 100,
            max_tracked: 100_000,
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid STS rate limit: {0}")]
pub struct RateLimitConfigError(&'static str);

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last_ns: i64,
}

/// The limiter. Share it (`&self` API, internally locked).
#[derive(Debug)]
pub struct IssuanceLimiter {
    cfg: RateLimitConfig,
    per_shard: usize,
    hasher: RandomState,
    shards: Vec<Mutex<HashMap<String, Bucket>>>,
}

impl IssuanceLimiter {
    pub fn new(cfg: RateLimitConfig) -> Result<Self, RateLimitConfigError> {
        if !(cfg.per_second.is_finite() && cfg.per_second > 0.0) {
            return Err(RateLimitConfigError("per_second must be a positive number"));
        }
        if cfg.burst == 0 {
            return Err(RateLimitConfigError("burst must be at least 1"));
        }
        if cfg.max_tracked == 0 {
            return Err(RateLimitConfigError("max_tracked must be at least 1"));
        }
        Ok(Self {
            cfg,
            per_shard: cfg.max_tracked.div_ceil(SHARDS),
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        })
    }

    /// Take one issuance for `parent` at `now`; `Throttling` (HTTP 400, "Rate exceeded") if its
    /// bucket is empty.
    pub fn check(&self, parent: &str, now: OffsetDateTime) -> Result<(), StsError> {
        let now_ns = i64::try_from(now.unix_timestamp_nanos()).unwrap_or(i64::MAX);
        let burst = f64::from(self.cfg.burst);
        let mut shard = self.shard(parent);
        if let Some(b) = shard.get_mut(parent) {
            *b = self.refill(*b, now_ns);
            if b.tokens >= 1.0 {
                b.tokens -= 1.0;
                return Ok(());
            }
            return Err(StsError::new(StsErrorCode::Throttling));
        }
        if shard.len() >= self.per_shard {
            self.evict(&mut shard, now_ns);
        }
        shard.insert(
            parent.to_string(),
            Bucket {
                tokens: burst - 1.0,
                last_ns: now_ns,
            },
        );
        Ok(())
    }

    /// Parents currently tracked.
    pub fn tracked(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    fn shard(&self, parent: &str) -> MutexGuard<'_, HashMap<String, Bucket>> {
        let i = (self.hasher.hash_one(parent) as usize) % SHARDS;
        lock(&self.shards[i])
    }

    fn refill(&self, b: Bucket, now_ns: i64) -> Bucket {
        // A clock that steps back refills nothing (never negative).
        let elapsed = now_ns.saturating_sub(b.last_ns).max(0) as f64 / 1e9;
        Bucket {
            tokens: (b.tokens + elapsed * self.cfg.per_second).min(f64::from(self.cfg.burst)),
            last_ns: now_ns.max(b.last_ns),
        }
    }

    /// Make room for one entry: drop every full bucket; if none, the least recently used.
    fn evict(&self, shard: &mut HashMap<String, Bucket>, now_ns: i64) {
        let burst = f64::from(self.cfg.burst);
        shard.retain(|_, b| self.refill(*b, now_ns).tokens < burst);
        if shard.len() >= self.per_shard {
            let oldest = shard
                .iter()
                .min_by_key(|(_, b)| b.last_ns)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                shard.remove(&k);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps hold no invariants a panic could break; keep serving.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_ms(ms: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap()
    }

    fn limiter(per_second: f64, burst: u32, max_tracked: usize) -> IssuanceLimiter {
        IssuanceLimiter::new(RateLimitConfig {
            per_second,
            burst,
            max_tracked,
        })
        .unwrap()
    }

    #[test]
    fn burst_then_throttle_then_refill() {
        let l = limiter(2.0, 3, 100);
        for _ in 0..3 {
            assert!(l.check("alice", at_ms(0)).is_ok());
        }
        let e = l.check("alice", at_ms(0)).unwrap_err();
        assert_eq!(
            (e.code().wire(), e.status(), e.message()),
            ("Throttling", 400, "Rate exceeded")
        );
        // 2/s: one token after 500 ms, not before.
        assert!(l.check("alice", at_ms(499)).is_err());
        assert!(l.check("alice", at_ms(500)).is_ok());
        assert!(l.check("alice", at_ms(500)).is_err());
    }

    #[test]
    fn one_parent_does_not_throttle_another() {
        let l = limiter(1.0, 1, 100);
        assert!(l.check("alice", at_ms(0)).is_ok());
        assert!(l.check("alice", at_ms(0)).is_err());
        assert!(l.check("bob", at_ms(0)).is_ok());
    }

    #[test]
    fn clock_going_back_refills_nothing() {
        let l = limiter(1.0, 1, 100);
        assert!(l.check("a", at_ms(10_000)).is_ok());
        assert!(l.check("a", at_ms(0)).is_err());
        assert!(l.check("a", at_ms(10_999)).is_err());
        assert!(l.check("a", at_ms(11_000)).is_ok());
    }

    #[test]
    fn memory_is_bounded_and_idle_entries_evicted_first() {
        let cap = SHARDS * 4;
        let l = limiter(1.0, 5, cap);
        for i in 0..10_000 {
            l.check(&format!("user-{i}"), at_ms(i)).unwrap();
        }
        assert!(l.tracked() <= cap, "{}", l.tracked());
        // A hot parent that exhausted its bucket stays throttled while idle ones come and go:
        // idle (refilled) buckets are evicted before it.
        let l = limiter(0.001, 2, SHARDS * 8);
        l.check("hot", at_ms(0)).unwrap();
        l.check("hot", at_ms(0)).unwrap();
        assert!(l.check("hot", at_ms(0)).is_err());
        for i in 0..1_000 {
            // Newcomers sit at burst-1 (not full), so eviction falls back to least recently
            // used; "hot" is refreshed by its own (failed) check before each newcomer arrives.
            assert!(l.check("hot", at_ms(i)).is_err(), "round {i}");
            l.check(&format!("n{i}"), at_ms(i)).unwrap();
        }
    }

    #[test]
    fn bad_config_rejected() {
        let c = RateLimitConfig::default();
        for bad in [
            RateLimitConfig {
                per_second: 0.0,
                ..c
            },
            RateLimitConfig {
                per_second: f64::NAN,
                ..c
            },
            RateLimitConfig { burst: 0, ..c },
            RateLimitConfig {
                max_tracked: 0,
                ..c
            },
        ] {
            assert!(IssuanceLimiter::new(bad).is_err());
        }
    }
}
