//! The time the queue goes by: the system clock, or one a test moves by hand.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, as the queue records arrival and retry times.
///
/// ```
/// use std::time::Duration;
/// use mailwire_relay::Clock;
///
/// let clock = Clock::manual(1_700_000_000);
/// clock.advance(Duration::from_secs(300));
/// assert_eq!(clock.now(), 1_700_000_300);
/// ```
#[derive(Debug, Clone)]
pub struct Clock(Source);

#[derive(Debug, Clone)]
enum Source {
    System,
    Manual(Arc<AtomicU64>),
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Source::System)
    }

    /// A clock that stands at `now` until [`advance`](Self::advance)d: retry and expiry
    /// times can then be tested exactly.
    pub fn manual(now: u64) -> Self {
        Self(Source::Manual(Arc::new(AtomicU64::new(now))))
    }

    /// Moves a manual clock on; the system clock moves by itself and ignores this.
    pub fn advance(&self, by: Duration) {
        if let Source::Manual(now) = &self.0 {
            now.fetch_add(by.as_secs(), Ordering::SeqCst);
        }
    }

    /// The time now, in whole seconds since the epoch.
    pub fn now(&self) -> u64 {
        match &self.0 {
            // A clock before 1970 is broken; the epoch is as good a guess as any.
            Source::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs(),
            Source::Manual(now) => now.load(Ordering::SeqCst),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

/// `timestamp` as an RFC 5322 date in UTC.
pub(crate) fn rfc5322(timestamp: u64) -> String {
    let seconds = i64::try_from(timestamp).unwrap_or(i64::MAX);
    mailwire_mime::DateTime::from_timestamp(seconds, 0).to_rfc5322()
}
