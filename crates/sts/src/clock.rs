//! The clock every time-dependent rule reads, injected so tests control time exactly.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

/// A source of the current time (UTC).
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;

    /// [`Clock::now`] in whole Unix seconds, rounded down (as `unix_timestamp`).
    fn unix_seconds(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// Whether this clock is the wall clock (`OffsetDateTime::now_utc`), so that a time a
    /// caller read from the wall clock a moment ago may stand in for asking it again.
    fn is_wall_clock(&self) -> bool {
        false
    }
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn is_wall_clock(&self) -> bool {
        true
    }

    /// Without the calendar date `now` computes (every request with a cached session asks).
    fn unix_seconds(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            // Before 1970: rounded down, as `unix_timestamp` does.
            Err(e) => {
                let d = e.duration();
                let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                -secs - i64::from(d.subsec_nanos() > 0)
            }
        }
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

    #[test]
    fn unix_seconds_agree_with_now() {
        let before = SystemClock.now().unix_timestamp();
        let secs = SystemClock.unix_seconds();
        let after = SystemClock.now().unix_timestamp();
        assert!(
            before <= secs && secs <= after,
            "{before} <= {secs} <= {after}"
        );
        let c = TestClock::at_unix(1_000);
        c.advance(time::Duration::milliseconds(999));
        assert_eq!(c.unix_seconds(), 1_000);
        let early = TestClock::new(OffsetDateTime::UNIX_EPOCH - time::Duration::milliseconds(1));
        assert_eq!(early.unix_seconds(), -1);
        assert!(SystemClock.is_wall_clock() && !c.is_wall_clock());
    }
}
