//! Dates (`date`, for SEARCH) and date-times (`date-time`, for INTERNALDATE and APPEND).

use super::ValidationError;

pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A calendar date: `date-day "-" date-month "-" date-year`, such as `1-Feb-1994`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// A date; the year has four digits, the day fits the month (leap years included).
    ///
    /// ```
    /// use mailwire_imap::types::Date;
    ///
    /// assert!(Date::new(1994, 2, 1).is_ok());
    /// assert!(Date::new(1994, 2, 29).is_err());
    /// assert!(Date::new(2000, 2, 29).is_ok());
    /// ```
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, ValidationError> {
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(ValidationError::Invalid("month")),
        };
        if year > 9999 || day == 0 || day > days {
            return Err(ValidationError::Invalid("date"));
        }
        Ok(Self { year, month, day })
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }

    pub(crate) fn month_name(self) -> &'static str {
        MONTHS[usize::from(self.month - 1)]
    }
}

/// A date and time with a zone: `"dd-Mon-yyyy hh:mm:ss +zzzz"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
    zone_minutes: i16,
}

impl DateTime {
    /// A date-time; `zone_minutes` is the offset east of UTC, at most ±99:59.
    ///
    /// ```
    /// use mailwire_imap::types::{Date, DateTime};
    ///
    /// let d = DateTime::new(Date::new(1994, 7, 17).unwrap(), 2, 44, 25, -7 * 60).unwrap();
    /// assert_eq!(d.zone_minutes(), -420);
    /// ```
    pub fn new(
        date: Date,
        hour: u8,
        minute: u8,
        second: u8,
        zone_minutes: i16,
    ) -> Result<Self, ValidationError> {
        // A leap second is 60.
        if hour > 23 || minute > 59 || second > 60 || zone_minutes.unsigned_abs() > 99 * 60 + 59 {
            return Err(ValidationError::Invalid("time"));
        }
        Ok(Self {
            date,
            hour,
            minute,
            second,
            zone_minutes,
        })
    }

    /// The date.
    pub fn date(self) -> Date {
        self.date
    }

    /// Hours, minutes and seconds.
    pub fn time(self) -> (u8, u8, u8) {
        (self.hour, self.minute, self.second)
    }

    /// The zone's offset east of UTC in minutes.
    pub fn zone_minutes(self) -> i16 {
        self.zone_minutes
    }

    /// The date-time in UTC `seconds` after 1970-01-01 00:00:00 UTC (before it when
    /// negative), or `None` for a year [`Date`] cannot hold (before 0 or after 9999).
    ///
    /// ```
    /// use mailwire_imap::types::DateTime;
    ///
    /// let moment = DateTime::from_unix_seconds(1_700_000_000).unwrap();
    /// let date = moment.date();
    /// assert_eq!((date.year(), date.month(), date.day()), (2023, 11, 14));
    /// assert_eq!((moment.time(), moment.zone_minutes()), ((22, 13, 20), 0));
    /// assert_eq!(moment.unix_seconds(), 1_700_000_000);
    /// ```
    pub fn from_unix_seconds(seconds: i64) -> Option<Self> {
        let (year, month, day) = civil_from_days(seconds.div_euclid(SECONDS_PER_DAY));
        let of_day = seconds.rem_euclid(SECONDS_PER_DAY);
        let narrow = |n: i64| u8::try_from(n).ok();
        let date = Date::new(u16::try_from(year).ok()?, narrow(month)?, narrow(day)?).ok()?;
        Self::new(
            date,
            narrow(of_day / 3_600)?,
            narrow(of_day % 3_600 / 60)?,
            narrow(of_day % 60)?,
            0,
        )
        .ok()
    }

    /// Seconds from 1970-01-01 00:00:00 UTC to this moment (negative before it), the
    /// zone's offset taken into account.
    ///
    /// ```
    /// use mailwire_imap::types::{Date, DateTime};
    ///
    /// let zoned = DateTime::new(Date::new(2023, 11, 15).unwrap(), 0, 13, 20, 120).unwrap();
    /// assert_eq!(zoned.unix_seconds(), 1_700_000_000);
    /// ```
    pub fn unix_seconds(self) -> i64 {
        let days = days_from_civil(
            i64::from(self.date.year),
            i64::from(self.date.month),
            i64::from(self.date.day),
        );
        days * SECONDS_PER_DAY
            + i64::from(self.hour) * 3_600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.zone_minutes) * 60
    }
}

const SECONDS_PER_DAY: i64 = 86_400;

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar. Years are counted
/// from March, so that the leap day ends the year; 400 years make an era of 146,097 days.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date (year, month, day) of a day counted from 1970-01-01: the inverse of
/// [`days_from_civil`].
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
    (era * 400 + year_of_era + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_both_ways() {
        let utc = |s| {
            let d = DateTime::from_unix_seconds(s).unwrap();
            let date = d.date();
            (date.year(), date.month(), date.day(), d.time())
        };
        assert_eq!(utc(0), (1970, 1, 1, (0, 0, 0)));
        assert_eq!(utc(-1), (1969, 12, 31, (23, 59, 59)));
        assert_eq!(utc(951_782_400), (2000, 2, 29, (0, 0, 0)));
        assert_eq!(utc(4_107_542_400), (2100, 3, 1, (0, 0, 0)));
        assert_eq!(utc(253_402_300_799), (9999, 12, 31, (23, 59, 59)));
        assert_eq!(DateTime::from_unix_seconds(253_402_300_800), None);
        assert_eq!(utc(-62_167_219_200), (0, 1, 1, (0, 0, 0)));
        assert_eq!(DateTime::from_unix_seconds(-62_167_219_201), None);
        for s in [
            0,
            -1,
            951_782_400,
            1_700_000_000,
            253_402_300_799,
            -62_167_219_200,
        ] {
            assert_eq!(DateTime::from_unix_seconds(s).unwrap().unix_seconds(), s);
        }
        // RFC 3501's example: 17 July 1996, 02:44:25 at UTC-7 is 09:44:25 UTC.
        let rfc = DateTime::new(Date::new(1996, 7, 17).unwrap(), 2, 44, 25, -7 * 60).unwrap();
        assert_eq!(rfc.unix_seconds(), 837_596_665);
    }

    #[test]
    fn validates_ranges() {
        let date = Date::new(2026, 12, 31).unwrap();
        assert_eq!((date.year(), date.month(), date.day()), (2026, 12, 31));
        assert_eq!(date.month_name(), "Dec");
        assert!(Date::new(2026, 13, 1).is_err());
        assert!(Date::new(2026, 4, 31).is_err());
        assert!(Date::new(1900, 2, 29).is_err());
        assert!(DateTime::new(date, 24, 0, 0, 0).is_err());
        assert!(DateTime::new(date, 23, 59, 60, 0).is_ok());
        assert!(DateTime::new(date, 0, 0, 0, 6000).is_err());
        assert_eq!(DateTime::new(date, 1, 2, 3, 90).unwrap().time(), (1, 2, 3));
    }
}
