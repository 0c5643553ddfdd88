//! Failed logins slow down the next attempts, per address and per account, across every
//! connection and protocol of the process.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures are forgotten after this long without another.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// No delay is longer than this.
const MAX_DELAY: Duration = Duration::from_secs(8);
/// Entries kept before old ones are dropped, so a spray of addresses cannot grow the map
/// without bound.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Peer(IpAddr),
    Account(String),
}

/// Failed logins per client address and per account: the delay before the next attempt is
/// answered doubles with each failure, from 250 ms up to 8 s.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<Key, (u32, Instant)>>,
}

impl Throttle {
    /// A throttle with no failures recorded.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long to wait before answering a login attempt from `peer` for `account`.
    pub fn delay(&self, peer: IpAddr, account: Option<&str>) -> Duration {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let count = |key: &Key| {
            map.get(key)
                .filter(|(_, last)| now.duration_since(*last) < FORGET_AFTER)
                .map_or(0, |(n, _)| *n)
        };
        let n =
            count(&Key::Peer(peer)).max(account.map_or(0, |a| count(&Key::Account(a.to_owned()))));
        if n == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(250)
            .saturating_mul(1 << n.min(6).saturating_sub(1))
            .min(MAX_DELAY)
    }

    /// Records a failed login from `peer` for `account`.
    pub fn failed(&self, peer: IpAddr, account: Option<&str>) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (_, last)| now.duration_since(*last) < FORGET_AFTER);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        let keys =
            std::iter::once(Key::Peer(peer)).chain(account.map(|a| Key::Account(a.to_owned())));
        for key in keys {
            let entry = map.entry(key).or_insert((0, now));
            if now.duration_since(entry.1) >= FORGET_AFTER {
                entry.0 = 0;
            }
            *entry = (entry.0.saturating_add(1), now);
        }
    }

    /// Records a successful login: the address's and the account's failures are forgotten.
    pub fn succeeded(&self, peer: IpAddr, account: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&Key::Peer(peer));
        map.remove(&Key::Account(account.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_per_failure_and_success_clears_it() {
        let t = Throttle::new();
        let ip: IpAddr = [192, 0, 2, 1].into();
        let other: IpAddr = [192, 0, 2, 2].into();
        assert_eq!(t.delay(ip, Some("fred")), Duration::ZERO);
        t.failed(ip, Some("fred"));
        assert_eq!(t.delay(ip, None), Duration::from_millis(250));
        t.failed(ip, Some("fred"));
        t.failed(ip, Some("fred"));
        assert_eq!(t.delay(ip, None), Duration::from_secs(1));
        // The account is slowed down from any address.
        assert_eq!(t.delay(other, Some("fred")), Duration::from_secs(1));
        assert_eq!(t.delay(other, Some("jane")), Duration::ZERO);
        for _ in 0..10 {
            t.failed(ip, None);
        }
        assert_eq!(t.delay(ip, None), MAX_DELAY);
        t.succeeded(ip, "fred");
        assert_eq!(t.delay(ip, Some("fred")), Duration::ZERO);
    }
}
