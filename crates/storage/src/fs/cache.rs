//! A bounded in-memory cache of recently read objects: their index entry and, for small objects,
//! their bytes. A hit answers GetObject/HeadObject without the blocking pool, redb or the file
//! system.
//!
//! # Staying correct
//! Every change to the `objects` table goes through an [`super::index::Index`] write method, and
//! each of them calls [`ObjectCache::invalidate`] (or [`ObjectCache::invalidate_bucket`]) after its
//! transaction commits and before it returns, so before the writer unlinks any replaced file and
//! before the client hears of the write. A reader that missed fills the cache only if no
//! invalidation touched its shard since it looked ([`ObjectCache::lookup`] hands out the shard's
//! generation, [`ObjectCache::fill`] compares it under the same lock): a fill can never install
//! an entry read before a commit whose invalidation already ran.
//!
//! # Bounds
//! A fixed budget of bytes (entry bytes plus an estimate of the metadata), split over shards; a
//! shard over its share drops its least recently used entries down to three quarters of it.
//! Object bytes are kept only for objects up to [`MAX_CACHED_BODY`].
//!
//! # Rendered response heads
//! An entry also memoises the response heads of a whole-object GET/HEAD, without and with
//! checksum mode ([`Cached::head`], [`Cached::head_checksums`], each filled on first use by
//! [`super::direct`]). They are derived from the entry's own `meta` only and live and die with
//! the entry, so the rules above cover them too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use bytes::Bytes;
use http::HeaderMap;

use super::meta::ObjectMeta;

/// Objects up to this size keep their bytes in the cache.
pub(crate) const MAX_CACHED_BODY: u64 = 64 << 10;
/// Default memory budget of the whole cache.
pub(crate) const DEFAULT_BUDGET: usize = 64 << 20;
const SHARDS: usize = 16;
/// Rough fixed cost of an entry besides its strings (map slot, Arc, struct fields).
const ENTRY_OVERHEAD: usize = 256;
/// Rough fixed cost of a rendered response head (map, names, fixed values) besides its strings.
const HEAD_OVERHEAD: usize = 512;
/// Keys of (bucket, key) up to this long are looked up without allocating.
const STACK_KEY: usize = 320;

/// What the cache holds for one object.
#[derive(Debug)]
pub(crate) struct Cached {
    pub meta: ObjectMeta,
    /// The whole object, when it is at most [`MAX_CACHED_BODY`] long.
    pub body: Option<Bytes>,
    /// The response head of a whole-object read, rendered once on first use (`None` inside:
    /// this object's head is left to s3s; see [`super::direct`]).
    pub(super) head: OnceLock<Option<HeaderMap>>,
    /// The same with the stored checksums (`x-amz-checksum-mode: ENABLED`); used only when the
    /// object has any, else `head` serves both.
    pub(super) head_checksums: OnceLock<Option<HeaderMap>>,
}

impl Cached {
    pub fn new(meta: ObjectMeta, body: Option<Bytes>) -> Self {
        Self {
            meta,
            body,
            head: OnceLock::new(),
            head_checksums: OnceLock::new(),
        }
    }
}

/// Proof of when a reader looked: the shard's generation at that moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    shard: usize,
    generation: u64,
}

struct Entry {
    value: Arc<Cached>,
    cost: usize,
    last_used: u64,
}

#[derive(Default)]
struct Shard {
    generation: u64,
    clock: u64,
    used: usize,
    map: HashMap<Box<str>, Entry>,
}

pub(crate) struct ObjectCache {
    shards: Box<[Mutex<Shard>]>,
    shard_budget: usize,
}

impl Default for ObjectCache {
    fn default() -> Self {
        Self::with_budget(DEFAULT_BUDGET)
    }
}

/// Bucket names never contain `/`, so `bucket/key` names one object unambiguously.
fn cache_key(bucket: &str, key: &str) -> String {
    let mut k = String::with_capacity(bucket.len() + 1 + key.len());
    k.push_str(bucket);
    k.push('/');
    k.push_str(key);
    k
}

/// Runs `f` with [`cache_key`]`(bucket, key)`, built on the stack for short names (every read
/// looks the cache up).
fn with_cache_key<R>(bucket: &str, key: &str, f: impl FnOnce(&str) -> R) -> R {
    let n = bucket.len() + 1 + key.len();
    if n <= STACK_KEY {
        let mut buf = [0u8; STACK_KEY];
        buf[..bucket.len()].copy_from_slice(bucket.as_bytes());
        buf[bucket.len()] = b'/';
        buf[bucket.len() + 1..n].copy_from_slice(key.as_bytes());
        // Two `str`s joined by an ASCII byte are UTF-8.
        if let Ok(k) = std::str::from_utf8(&buf[..n]) {
            return f(k);
        }
    }
    f(&cache_key(bucket, key))
}

fn shard_of(k: &str) -> usize {
    // FNV-1a: cheap, and only spreads entries over the shards (the map hashes with SipHash).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in k.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % SHARDS as u64) as usize
}

fn cost_of(k: &str, c: &Cached) -> usize {
    let m = &c.meta;
    let h = &m.headers;
    let len = |s: &[Option<&str>]| s.iter().map(|s| s.map_or(0, str::len)).sum::<usize>();
    let strings = len(&[
        h.content_type.as_deref(),
        h.content_encoding.as_deref(),
        h.content_disposition.as_deref(),
        h.content_language.as_deref(),
        h.cache_control.as_deref(),
    ]);
    let checksums = len(&[
        m.checksums.crc32.as_deref(),
        m.checksums.crc32c.as_deref(),
        m.checksums.crc64nvme.as_deref(),
        m.checksums.sha1.as_deref(),
        m.checksums.sha256.as_deref(),
    ]);
    let user: usize = m.user.iter().map(|(k, v)| k.len() + v.len() + 48).sum();
    let segments = m.segments.len() * (std::mem::size_of::<super::meta::Segment>() + 32);
    // The memoised response head repeats the strings, the metadata and the ETag once more; an
    // object with checksums may have a second head that also repeats them (one name each).
    let head = HEAD_OVERHEAD + m.etag.len() + strings + user;
    let head_checksums = if m.checksums.is_empty() {
        0
    } else {
        head + checksums + 5 * 32
    };
    ENTRY_OVERHEAD
        + k.len()
        + m.etag.len()
        + strings
        + checksums
        + user
        + segments
        + head
        + head_checksums
        + c.body.as_ref().map_or(0, Bytes::len)
}

impl ObjectCache {
    /// A cache that holds about `budget` bytes (0: caches nothing).
    pub fn with_budget(budget: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            shard_budget: budget / SHARDS,
        }
    }

    fn lock(&self, shard: usize) -> MutexGuard<'_, Shard> {
        // Entries are inserted and removed whole, so a poisoned shard is still consistent.
        self.shards[shard]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached entry of (bucket, key), if any, and a ticket for [`ObjectCache::fill`] (to
    /// install what the caller goes on to read from the index).
    pub fn lookup(&self, bucket: &str, key: &str) -> (Option<Arc<Cached>>, Ticket) {
        with_cache_key(bucket, key, |k| self.touch(k))
    }

    /// The cached entry of (bucket, key), if any, without a ticket: for readers that never
    /// fill ([`super::direct`]).
    pub fn get(&self, bucket: &str, key: &str) -> Option<Arc<Cached>> {
        with_cache_key(bucket, key, |k| self.touch(k).0)
    }

    /// The entry under cache key `k` (marked as just used) and the shard's ticket.
    fn touch(&self, k: &str) -> (Option<Arc<Cached>>, Ticket) {
        let shard = shard_of(k);
        let mut s = self.lock(shard);
        s.clock += 1;
        let now = s.clock;
        let ticket = Ticket {
            shard,
            generation: s.generation,
        };
        let hit = s.map.get_mut(k).map(|e| {
            e.last_used = now;
            Arc::clone(&e.value)
        });
        (hit, ticket)
    }

    /// Installs what a reader found in the index after `lookup` gave it `ticket`, unless an
    /// invalidation has touched the shard since. Returns the (possibly uncached) shared value.
    pub fn fill(&self, bucket: &str, key: &str, ticket: Ticket, value: Cached) -> Arc<Cached> {
        let value = Arc::new(value);
        let k = cache_key(bucket, key);
        let shard = shard_of(&k);
        let cost = cost_of(&k, &value);
        if shard != ticket.shard || cost > self.shard_budget / 4 {
            return value;
        }
        let mut s = self.lock(shard);
        if s.generation != ticket.generation {
            return value;
        }
        s.clock += 1;
        let entry = Entry {
            value: Arc::clone(&value),
            cost,
            last_used: s.clock,
        };
        if let Some(old) = s.map.insert(k.into_boxed_str(), entry) {
            s.used -= old.cost;
        }
        s.used += cost;
        if s.used > self.shard_budget {
            evict(&mut s, self.shard_budget / 4 * 3);
        }
        value
    }

    /// Forgets (bucket, key). Call after every committed change of that object.
    pub fn invalidate(&self, bucket: &str, key: &str) {
        let k = cache_key(bucket, key);
        let mut s = self.lock(shard_of(&k));
        s.generation += 1;
        if let Some(old) = s.map.remove(k.as_str()) {
            s.used -= old.cost;
        }
    }

    /// Forgets every object of `bucket` (bucket deletion).
    pub fn invalidate_bucket(&self, bucket: &str) {
        let prefix = cache_key(bucket, "");
        for shard in 0..self.shards.len() {
            let mut s = self.lock(shard);
            s.generation += 1;
            let mut freed = 0;
            s.map.retain(|k, e| {
                let keep = !k.starts_with(prefix.as_str());
                if !keep {
                    freed += e.cost;
                }
                keep
            });
            s.used -= freed;
        }
    }

    #[cfg(test)]
    pub fn used(&self) -> usize {
        (0..self.shards.len()).map(|i| self.lock(i).used).sum()
    }
}

/// Drops least recently used entries until the shard uses at most `target` bytes.
fn evict(s: &mut Shard, target: usize) {
    let mut order: Vec<(u64, usize, Box<str>)> = s
        .map
        .iter()
        .map(|(k, e)| (e.last_used, e.cost, k.clone()))
        .collect();
    order.sort_unstable_by_key(|(t, _, _)| *t);
    for (_, cost, k) in order {
        if s.used <= target {
            break;
        }
        s.map.remove(&k);
        s.used -= cost;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::meta::{Checksums, ContentHeaders, Segment};

    fn meta(etag: &str) -> ObjectMeta {
        ObjectMeta {
            size: 3,
            etag: etag.into(),
            mtime_ms: 0,
            headers: ContentHeaders::default(),
            user: Default::default(),
            segments: vec![Segment {
                id: "0".repeat(32),
                size: 3,
            }],
            parts: None,
            checksums: Checksums::default(),
        }
    }

    fn cached(etag: &str, body: usize) -> Cached {
        Cached::new(meta(etag), Some(Bytes::from(vec![7u8; body])))
    }

    fn etag_of(c: &ObjectCache, b: &str, k: &str) -> Option<String> {
        c.lookup(b, k).0.map(|v| v.meta.etag.clone())
    }

    fn ticket(c: &ObjectCache, b: &str, k: &str) -> Ticket {
        let (hit, t) = c.lookup(b, k);
        assert!(hit.is_none(), "expected a miss");
        t
    }

    #[test]
    fn fill_then_hit_then_invalidate() {
        let c = ObjectCache::default();
        let t = ticket(&c, "b", "k");
        c.fill("b", "k", t, cached("e1", 3));
        assert_eq!(etag_of(&c, "b", "k").as_deref(), Some("e1"));
        assert_eq!(etag_of(&c, "b", "k2"), None);
        assert_eq!(etag_of(&c, "b2", "k"), None);
        c.invalidate("b", "k");
        assert_eq!(etag_of(&c, "b", "k"), None);
        assert_eq!(c.used(), 0);
    }

    #[test]
    fn a_fill_that_raced_an_invalidation_is_dropped() {
        let c = ObjectCache::default();
        let t = ticket(&c, "b", "k");
        // A writer commits and invalidates while the reader is reading the old entry.
        c.invalidate("b", "k");
        let v = c.fill("b", "k", t, cached("old", 3));
        assert_eq!(v.meta.etag, "old", "the reader still gets what it read");
        assert_eq!(etag_of(&c, "b", "k"), None, "but it is not cached");
        // A fresh ticket works again.
        let t = ticket(&c, "b", "k");
        c.fill("b", "k", t, cached("new", 3));
        assert_eq!(etag_of(&c, "b", "k").as_deref(), Some("new"));
    }

    #[test]
    fn bucket_invalidation_drops_only_that_bucket() {
        let c = ObjectCache::default();
        for (b, k) in [("b", "x"), ("b", "y/z"), ("bb", "x"), ("c", "b/x")] {
            let t = ticket(&c, b, k);
            c.fill(b, k, t, cached(k, 3));
        }
        let t_other = ticket(&c, "c", "other");
        c.invalidate_bucket("b");
        assert_eq!(etag_of(&c, "b", "x"), None);
        assert_eq!(etag_of(&c, "b", "y/z"), None);
        assert_eq!(etag_of(&c, "bb", "x").as_deref(), Some("x"));
        assert_eq!(etag_of(&c, "c", "b/x").as_deref(), Some("b/x"));
        // Outstanding tickets are void afterwards (conservatively, for every bucket).
        c.fill("c", "other", t_other, cached("o", 3));
        assert_eq!(etag_of(&c, "c", "other"), None);
    }

    #[test]
    fn memory_stays_within_budget_and_recent_entries_survive() {
        let budget = 1 << 20;
        let c = ObjectCache::with_budget(budget);
        let t = ticket(&c, "b", "hot");
        c.fill("b", "hot", t, cached("hot", 1000));
        for i in 0..5000 {
            let k = format!("k{i}");
            let t = ticket(&c, "b", &k);
            c.fill("b", &k, t, cached("e", 1000));
            // Keep one entry in use.
            assert!(
                etag_of(&c, "b", "hot").is_some(),
                "hot entry evicted at {i}"
            );
            assert!(c.used() <= budget, "over budget: {}", c.used());
        }
        // Far more was filled than fits.
        let cached_count = (0..5000)
            .filter(|i| etag_of(&c, "b", &format!("k{i}")).is_some())
            .count();
        assert!(cached_count < 1000, "{cached_count}");
        assert!(cached_count > 100, "{cached_count}");
    }

    #[test]
    fn an_entry_too_big_for_its_shard_is_not_cached_and_zero_budget_caches_nothing() {
        let c = ObjectCache::with_budget(16 * 4096);
        let t = ticket(&c, "b", "big");
        let v = c.fill("b", "big", t, cached("big", 4096));
        assert!(v.body.is_some());
        assert_eq!(etag_of(&c, "b", "big"), None);
        let z = ObjectCache::with_budget(0);
        let t = ticket(&z, "b", "k");
        z.fill("b", "k", t, cached("e", 0));
        assert_eq!(etag_of(&z, "b", "k"), None);
    }
}
