//! The clock every time-dependent rule reads, injected so tests control time exactly.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;

/// A source of the current time (UTC).
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to. Clones share the same time, so a test can hand one
/// clone to the code under test and advance the other. Resolution: nanoseconds (stored as
/// nanoseconds since the Unix epoch, good until the year 2262).
#[derive(Debug, Clone)]
pub struct TestClock {
    nanos: Arc<AtomicI64>,
}

impl TestClock {
    /// A clock standing at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            nanos: Arc::new(AtomicI64::new(to_nanos(start))),
        }
    }
    /// A clock standing at `unix_seconds`.
    pub fn at_unix(unix_seconds: i64) -> Self {
        Self {
            nanos: Arc::new(AtomicI64::new(unix_seconds.saturating_mul(1_000_000_000))),
        }
    }
    pub fn set(&self, t: OffsetDateTime) {
        self.nanos.store(to_nanos(t), Ordering::SeqCst);
    }
    pub fn advance(&self, d: time::Duration) {
        let step = i64::try_from(d.whole_nanoseconds()).unwrap_or(i64::MAX);
        self.nanos.fetch_add(step, Ordering::SeqCst);
    }
    pub fn advance_secs(&self, secs: i64) {
        self.advance(time::Duration::seconds(secs));
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        let n = self.nanos.load(Ordering::SeqCst);
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(n))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

fn to_nanos(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_clock_moves_only_when_told_and_clones_share_time() {
        let c = TestClock::at_unix(1_000);
        let c2 = c.clone();
        assert_eq!(c.now().unix_timestamp(), 1_000);
        c2.advance_secs(899);
        assert_eq!(c.now().unix_timestamp(), 1_899);
        c.advance(time::Duration::milliseconds(500));
        assert_eq!(c2.now().unix_timestamp_nanos(), 1_899_500_000_000);
    }

    #[test]
    fn system_clock_is_recent() {
        assert!(SystemClock.now().unix_timestamp() > 1_700_000_000);
    }
}
