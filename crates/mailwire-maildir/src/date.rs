//! INTERNALDATE is a message file's modification time, as Dovecot keeps it: conversions
//! between IMAP's date-time and the file system's time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mailwire_imap::types::DateTime;

/// The file time of an IMAP date-time.
pub(crate) fn to_system_time(date_time: DateTime) -> SystemTime {
    let seconds = date_time.unix_seconds();
    match u64::try_from(seconds) {
        Ok(after) => UNIX_EPOCH + Duration::from_secs(after),
        Err(_) => UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs()),
    }
}

/// The IMAP date-time (in UTC) of a file time; times before 1970 are 1970-01-01, times
/// after 9999 the end of 9999.
pub(crate) fn from_system_time(time: SystemTime) -> DateTime {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    DateTime::from_unix_seconds(seconds)
        .or_else(|| DateTime::from_unix_seconds(LAST_SECOND))
        .expect("a moment of year 9999")
}

/// 9999-12-31 23:59:59 UTC, the last moment an IMAP date-time holds.
const LAST_SECOND: i64 = 253_402_300_799;

#[cfg(test)]
mod tests {
    use mailwire_imap::types::Date;

    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn file_times_and_date_times() {
        let show = |t| {
            let d = from_system_time(t);
            let date = d.date();
            (date.year(), date.month(), date.day(), d.time())
        };
        assert_eq!(show(at(0)), (1970, 1, 1, (0, 0, 0)));
        assert_eq!(show(at(951_782_400)), (2000, 2, 29, (0, 0, 0)));
        assert_eq!(show(at(1_700_000_000)), (2023, 11, 14, (22, 13, 20)));
        assert_eq!(show(at(u64::MAX / 2)), (9999, 12, 31, (23, 59, 59)));

        let zoned = DateTime::new(Date::new(2023, 11, 15).unwrap(), 0, 13, 20, 120).unwrap();
        assert_eq!(to_system_time(zoned), at(1_700_000_000));
        let utc = from_system_time(at(1_700_000_000));
        assert_eq!(to_system_time(utc), at(1_700_000_000));
    }
}
