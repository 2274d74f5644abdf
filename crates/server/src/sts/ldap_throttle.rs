//! Throttling of failed LDAP logins (CVE-2026-33419: MinIO has none, so passwords can be
//! guessed online). Failures are counted per username and per source address; a key that
//! reached its limit is refused BEFORE any bind, until enough time has passed.
//!
//! Each key holds one number, the instant its failure count drains to zero (a leaky bucket,
//! "GCRA"): every failure adds `window / limit`; a login is refused while the bucket holds
//! `limit` failures. So `limit` rapid failures are allowed, the next is refused, and one more
//! attempt is earned every `window / limit` (30 s with the defaults: 10 per 5 minutes). A user
//! who mistypes twice is never locked out; successes count nothing.
//!
//! Usernames are keyed case- and space-insensitively (LDAP's usual matching rules, so `Alice`
//! and ` alice` share a bucket) by their SHA-256, so a 10 KiB username costs 32 bytes. IPv6
//! addresses are keyed by their /64 (one host usually owns the whole prefix). Memory is
//! bounded: each table holds at most [`MAX_TRACKED`] keys; drained keys go first, then those
//! closest to draining. Settings: [`ThrottleConfig`] (`STRONGBOX_IDENTITY_LDAP_THROTTLE_*`;
//! a limit of 0 turns that limit off).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use sha2::{Digest, Sha256};
use strongbox_idp::ldap::ThrottleConfig;

/// Most keys tracked per table (usernames; addresses): ~100 bytes each.
pub const MAX_TRACKED: usize = 100_000;

/// Which limit refused a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    Username,
    SourceAddress,
}

type UserKey = [u8; 32];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum IpKey {
    V4([u8; 4]),
    V6Prefix([u8; 8]),
}

/// One table of leaky buckets: key → instant (ns) the bucket drains.
#[derive(Debug)]
struct Table<K> {
    /// 0: this limit is off.
    limit: u32,
    /// `window / limit`, in nanoseconds (≥ 1).
    step_ns: i64,
    max_tracked: usize,
    drained_at: Mutex<HashMap<K, i64>>,
}

impl<K: Eq + Hash + Copy> Table<K> {
    fn new(limit: u32, window: Duration, max_tracked: usize) -> Self {
        let window_ns = i64::try_from(window.as_nanos()).unwrap_or(i64::MAX);
        Self {
            limit,
            step_ns: (window_ns / i64::from(limit.max(1))).max(1),
            max_tracked,
            drained_at: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, i64>> {
        // The map holds no invariant a panic could break.
        self.drained_at.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The bucket already holds `limit` failures.
    fn is_full(&self, map: &HashMap<K, i64>, key: &K, now_ns: i64) -> bool {
        if self.limit == 0 {
            return false;
        }
        let Some(&drained_at) = map.get(key) else {
            return false;
        };
        let pending = drained_at.saturating_sub(now_ns);
        // `limit` failures pending ⇔ pending > (limit - 1) · step.
        pending > (i64::from(self.limit) - 1).saturating_mul(self.step_ns)
    }

    fn add(&self, map: &mut HashMap<K, i64>, key: K, now_ns: i64) {
        if self.limit == 0 {
            return;
        }
        if !map.contains_key(&key) && map.len() >= self.max_tracked {
            evict(map, now_ns, self.max_tracked);
        }
        let cap = now_ns.saturating_add(i64::from(self.limit).saturating_mul(self.step_ns));
        let at = map.entry(key).or_insert(now_ns);
        // A clock that steps back never empties a bucket; a full one stays just full.
        *at = (*at).max(now_ns).saturating_add(self.step_ns).min(cap);
    }

    fn refund(&self, key: &K, now_ns: i64) {
        if let Some(at) = self.lock().get_mut(key) {
            *at = at.saturating_sub(self.step_ns).max(now_ns);
        }
    }

    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// Make room: drop drained buckets; if the table is still full, the eighth closest to draining
/// (an attacker filling the table with fresh names evicts those, not a bucket about to refuse).
fn evict<K: Eq + Hash + Copy>(map: &mut HashMap<K, i64>, now_ns: i64, max: usize) {
    map.retain(|_, at| *at > now_ns);
    if map.len() < max {
        return;
    }
    let mut by_drain: Vec<(i64, K)> = map.iter().map(|(k, at)| (*at, *k)).collect();
    by_drain.sort_unstable_by_key(|(at, _)| *at);
    let drop = (max / 8).max(1).min(by_drain.len());
    for (_, k) in &by_drain[..drop] {
        map.remove(k);
    }
}

/// The throttle. Share it (`&self` API, internally locked).
#[derive(Debug)]
pub struct LdapThrottle {
    users: Table<UserKey>,
    ips: Table<IpKey>,
}

impl LdapThrottle {
    pub fn new(cfg: ThrottleConfig) -> Self {
        Self::with_capacity(cfg, MAX_TRACKED)
    }

    /// [`LdapThrottle::new`] tracking at most `max_tracked` keys per table (≥ 1).
    pub fn with_capacity(cfg: ThrottleConfig, max_tracked: usize) -> Self {
        let max_tracked = max_tracked.max(1);
        Self {
            users: Table::new(cfg.max_failures_per_user, cfg.window, max_tracked),
            ips: Table::new(cfg.max_failures_per_ip, cfg.window, max_tracked),
        }
    }

    /// Whether a login for `username` from `ip` may go to the directory now. If so, the
    /// attempt counts as a failure at once (so concurrent guesses cannot overtake the limit)
    /// until [`Attempt::not_a_failure`] takes it back.
    pub fn begin(
        &self,
        username: &str,
        ip: Option<IpAddr>,
        now_ns: i64,
    ) -> Result<Attempt<'_>, Throttled> {
        let user = user_key(username);
        let ip = ip.map(ip_key);
        // Lock order: users, then addresses.
        let mut users = self.users.lock();
        if self.users.is_full(&users, &user, now_ns) {
            return Err(Throttled::Username);
        }
        if let Some(ip) = ip {
            let mut ips = self.ips.lock();
            if self.ips.is_full(&ips, &ip, now_ns) {
                return Err(Throttled::SourceAddress);
            }
            self.ips.add(&mut ips, ip, now_ns);
        }
        self.users.add(&mut users, user, now_ns);
        Ok(Attempt {
            throttle: self,
            user,
            ip,
        })
    }

    /// Keys tracked (usernames, addresses).
    pub fn tracked(&self) -> (usize, usize) {
        (self.users.len(), self.ips.len())
    }
}

/// A login attempt admitted by [`LdapThrottle::begin`], counted as a failure unless
/// [`Attempt::not_a_failure`] is called (a success, or a directory outage).
#[derive(Debug)]
pub struct Attempt<'a> {
    throttle: &'a LdapThrottle,
    user: UserKey,
    ip: Option<IpKey>,
}

impl Attempt<'_> {
    /// Takes back the failure counted by `begin`.
    pub fn not_a_failure(self, now_ns: i64) {
        self.throttle.users.refund(&self.user, now_ns);
        if let Some(ip) = &self.ip {
            self.throttle.ips.refund(ip, now_ns);
        }
    }
}

/// Lower-cased, surrounding space trimmed, inner runs of space collapsed, then hashed.
fn user_key(username: &str) -> UserKey {
    let mut h = Sha256::new();
    let mut first = true;
    for word in username.split_whitespace() {
        if !first {
            h.update(b" ");
        }
        first = false;
        h.update(word.to_lowercase().as_bytes());
    }
    h.finalize().into()
}

fn ip_key(ip: IpAddr) -> IpKey {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpKey::V4(v4.octets()),
        IpAddr::V6(v6) => {
            let o = v6.octets();
            let mut p = [0u8; 8];
            p.copy_from_slice(&o[..8]);
            IpKey::V6Prefix(p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn throttle(per_user: u32, per_ip: u32, max_tracked: usize) -> LdapThrottle {
        LdapThrottle::with_capacity(
            ThrottleConfig {
                max_failures_per_user: per_user,
                max_failures_per_ip: per_ip,
                window: Duration::from_secs(300),
            },
            max_tracked,
        )
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    /// May a login go ahead? (It then succeeds: nothing is counted.)
    fn check(t: &LdapThrottle, user: &str, ip: Option<IpAddr>, now: i64) -> Result<(), Throttled> {
        t.begin(user, ip, now).map(|a| a.not_a_failure(now))
    }

    /// A failed login (admitted, then counted).
    fn fail(t: &LdapThrottle, user: &str, ip: Option<IpAddr>, now: i64) {
        // Not given back: the attempt stays counted as a failure.
        let _counted = t.begin(user, ip, now).expect("admitted");
    }

    #[test]
    fn eleventh_rapid_failure_is_refused_then_one_attempt_per_step() {
        let t = throttle(10, 1000, 100);
        for i in 0..10 {
            assert_eq!(check(&t, "alice", ip("10.0.0.1"), 0), Ok(()), "attempt {i}");
            fail(&t, "alice", ip("10.0.0.1"), 0);
        }
        assert_eq!(
            check(&t, "alice", ip("10.0.0.2"), 0),
            Err(Throttled::Username)
        );
        // Case and spacing do not make a new user.
        assert_eq!(
            check(&t, "  ALICE ", ip("10.0.0.2"), 0),
            Err(Throttled::Username)
        );
        assert_eq!(check(&t, "bob", ip("10.0.0.1"), 0), Ok(()));
        // 300 s / 10 = one attempt earned every 30 s.
        assert_eq!(
            check(&t, "alice", None, 30 * S - 1),
            Err(Throttled::Username)
        );
        assert_eq!(check(&t, "alice", None, 30 * S), Ok(()));
        fail(&t, "alice", None, 30 * S);
        assert_eq!(check(&t, "alice", None, 30 * S), Err(Throttled::Username));
        // After the whole window everything is forgotten.
        assert_eq!(check(&t, "alice", None, 330 * S), Ok(()));
    }

    #[test]
    fn concurrent_attempts_count_before_they_finish() {
        let t = throttle(3, 100, 100);
        let held: Vec<_> = (0..3).map(|_| t.begin("alice", None, 0).unwrap()).collect();
        assert_eq!(check(&t, "alice", None, 0), Err(Throttled::Username));
        // Successes (or outages) give the attempts back.
        for a in held {
            a.not_a_failure(0);
        }
        for _ in 0..3 {
            fail(&t, "alice", None, 0);
        }
        assert_eq!(check(&t, "alice", None, 0), Err(Throttled::Username));
    }

    #[test]
    fn two_typos_never_lock_out() {
        let t = throttle(10, 100, 100);
        fail(&t, "alice", ip("10.0.0.1"), 0);
        fail(&t, "alice", ip("10.0.0.1"), S);
        assert_eq!(check(&t, "alice", ip("10.0.0.1"), 2 * S), Ok(()));
    }

    #[test]
    fn per_address_limit_covers_username_spraying() {
        let t = throttle(10, 5, 100);
        for i in 0..5 {
            fail(&t, &format!("user{i}"), ip("192.0.2.7"), 0);
        }
        assert_eq!(
            check(&t, "someone-new", ip("192.0.2.7"), 0),
            Err(Throttled::SourceAddress)
        );
        assert_eq!(check(&t, "someone-new", ip("192.0.2.8"), 0), Ok(()));
        // IPv4-mapped IPv6 is the same host; an IPv6 /64 is one key.
        assert_eq!(
            check(&t, "x", ip("::ffff:192.0.2.7"), 0),
            Err(Throttled::SourceAddress)
        );
        for i in 0..5 {
            fail(&t, &format!("v6-{i}"), ip(&format!("2001:db8::{i}")), 0);
        }
        assert_eq!(
            check(&t, "x", ip("2001:db8::ffff:1"), 0),
            Err(Throttled::SourceAddress)
        );
        assert_eq!(check(&t, "x", ip("2001:db8:0:1::1"), 0), Ok(()));
    }

    #[test]
    fn clock_stepping_back_does_not_unlock() {
        let t = throttle(2, 100, 100);
        fail(&t, "a", None, 100 * S);
        fail(&t, "a", None, 100 * S);
        assert_eq!(check(&t, "a", None, 0), Err(Throttled::Username));
        assert_eq!(check(&t, "a", None, 100 * S), Err(Throttled::Username));
    }

    #[test]
    fn memory_is_bounded_and_full_buckets_survive_a_flood() {
        let t = throttle(3, 1_000_000, 64);
        for _ in 0..3 {
            fail(&t, "victim", None, 0);
        }
        for i in 0..10_000 {
            fail(&t, &format!("flood-{i}"), ip("10.1.2.3"), 0);
            let (users, ips) = t.tracked();
            assert!(users <= 64 && ips <= 64, "{users} {ips}");
        }
        assert_eq!(check(&t, "victim", None, 0), Err(Throttled::Username));
        // 10 KiB usernames cost a hash each.
        fail(&t, &"x".repeat(10 * 1024), None, 0);
    }

    #[test]
    fn a_zero_limit_is_off() {
        let t = throttle(0, 2, 100);
        for _ in 0..2 {
            fail(&t, "alice", ip("10.0.0.1"), 0);
        }
        assert_eq!(check(&t, "alice", ip("10.0.0.2"), 0), Ok(()));
        assert_eq!(
            check(&t, "alice", ip("10.0.0.1"), 0),
            Err(Throttled::SourceAddress)
        );
        let t = throttle(0, 0, 100);
        for _ in 0..1000 {
            fail(&t, "alice", ip("10.0.0.1"), 0);
        }
        assert_eq!(t.tracked(), (0, 0));
        // The defaults: 10 per user, 100 per address, 5 minutes.
        let d = LdapThrottle::new(ThrottleConfig::default());
        for _ in 0..10 {
            fail(&d, "alice", None, 0);
        }
        assert_eq!(check(&d, "alice", None, 0), Err(Throttled::Username));
    }
}
