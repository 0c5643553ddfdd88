//! INTERNALDATE is a message file's modification time, as Dovecot keeps it: conversions
//! between IMAP's date-time and the file system's time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mailwire_imap::types::{Date, DateTime};

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Years counted from March, so that the leap day ends the year.
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date of a day counted from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + i64::from(month <= 2);
    (year, month, day)
}

/// The file time of an IMAP date-time.
pub(crate) fn to_system_time(date_time: DateTime) -> SystemTime {
    let date = date_time.date();
    let (hour, minute, second) = date_time.time();
    let days = days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    let seconds = days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60
        - i64::from(date_time.zone_minutes()) * 60
        + i64::from(second);
    match u64::try_from(seconds) {
        Ok(after) => UNIX_EPOCH + Duration::from_secs(after),
        Err(_) => UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs()),
    }
}

/// The IMAP date-time (in UTC) of a file time; times before 1970 are 1970-01-01.
pub(crate) fn from_system_time(time: SystemTime) -> DateTime {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2));
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    let narrow = |n: i64| u8::try_from(n).unwrap_or(0);
    let date = Date::new(
        u16::try_from(year).unwrap_or(9999),
        narrow(month),
        narrow(day),
    )
    .unwrap_or_else(|_| Date::new(1970, 1, 1).expect("a valid date"));
    DateTime::new(
        date,
        narrow(of_day / 3_600),
        narrow(of_day % 3_600 / 60),
        narrow(of_day % 60),
        0,
    )
    .expect("a valid time of day")
}

#[cfg(test)]
mod tests {
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

        let zoned = DateTime::new(Date::new(2023, 11, 15).unwrap(), 0, 13, 20, 120).unwrap();
        assert_eq!(to_system_time(zoned), at(1_700_000_000));
        let utc = from_system_time(at(1_700_000_000));
        assert_eq!(to_system_time(utc), at(1_700_000_000));
    }
}
