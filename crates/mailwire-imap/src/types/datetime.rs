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
}

#[cfg(test)]
mod tests {
    use super::*;

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
