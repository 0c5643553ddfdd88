//! Dates (RFC 5322 §3.3 and the obsolete forms of §4.3).
//!
//! ```text
//! date-time = [ day-of-week "," ] date time [CFWS]
//! date      = day month year
//! time      = hour ":" minute [ ":" second ] FWS zone
//! obs-zone  = "UT" / "GMT" / "EST" / "EDT" / "CST" / "CDT" / "MST" / "MDT" / "PST" / "PDT"
//!           / military letters
//! ```

use std::fmt;

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{tag, take_while_m_n};
use nom::character::complete::{digit1, one_of};
use nom::combinator::{all_consuming, opt};
use nom::sequence::preceded;

use crate::structured::strip_comments;

/// An instant with the zone offset it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    timestamp: i64,
    offset_minutes: i32,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Local date and time fields of a [`DateTime`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year, e.g. 1997.
    pub year: i64,
    /// Month 1–12.
    pub month: u32,
    /// Day of the month 1–31.
    pub day: u32,
    /// Hour 0–23.
    pub hour: u32,
    /// Minute 0–59.
    pub minute: u32,
    /// Second 0–59.
    pub second: u32,
}

impl DateTime {
    /// An instant: seconds since 1970-01-01T00:00:00Z (clamped to 0001-01-01 – 9999-12-30,
    /// so that the local year has four digits), and the offset east of UTC in minutes it is
    /// to be shown in (clamped to ±23:59).
    pub fn from_timestamp(timestamp: i64, offset_minutes: i32) -> DateTime {
        DateTime {
            timestamp: timestamp.clamp(-62_135_596_800, 253_402_128_000),
            offset_minutes: offset_minutes.clamp(-1439, 1439),
        }
    }

    /// A date from local fields and an offset; `None` if a field is out of range.
    ///
    /// ```
    /// use mailwire_mime::DateTime;
    /// let d = DateTime::from_civil(1997, 11, 21, 9, 55, 6, -360).expect("valid date");
    /// assert_eq!(d.timestamp(), 880_127_706);
    /// assert_eq!(d.to_rfc5322(), "Fri, 21 Nov 1997 09:55:06 -0600");
    /// ```
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        offset_minutes: i32,
    ) -> Option<DateTime> {
        if !(1..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
            || offset_minutes.abs() > 1439
        {
            return None;
        }
        let local = days_from_civil(year, month, day) * 86_400
            + i64::from(hour * 3600 + minute * 60 + second);
        Some(DateTime {
            timestamp: local - i64::from(offset_minutes) * 60,
            offset_minutes,
        })
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// The zone offset east of UTC, in minutes.
    pub fn offset_minutes(&self) -> i32 {
        self.offset_minutes
    }

    /// The local date and time in the written zone.
    pub fn civil(&self) -> Civil {
        let local = self.timestamp + i64::from(self.offset_minutes) * 60;
        let (year, month, day) = civil_from_days(local.div_euclid(86_400));
        let secs = u32::try_from(local.rem_euclid(86_400)).unwrap_or(0);
        Civil {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
        }
    }

    fn zone(&self) -> (char, i32, i32) {
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let abs = self.offset_minutes.abs();
        (sign, abs / 60, abs % 60)
    }

    /// RFC 3339, in the written zone: `1997-11-21T09:55:06-06:00`.
    pub fn to_rfc3339(&self) -> String {
        let c = self.civil();
        let (sign, h, m) = self.zone();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{h:02}:{m:02}",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )
    }

    /// RFC 5322 form: `Fri, 21 Nov 1997 09:55:06 -0600`.
    pub fn to_rfc5322(&self) -> String {
        let c = self.civil();
        let (sign, h, m) = self.zone();
        let local = self.timestamp + i64::from(self.offset_minutes) * 60;
        let weekday = DAYS[usize::try_from(local.div_euclid(86_400).rem_euclid(7)).unwrap_or(0)];
        let month = MONTHS[usize::try_from(c.month.saturating_sub(1))
            .unwrap_or(0)
            .min(11)];
        format!(
            "{weekday}, {} {month} {:04} {:02}:{:02}:{:02} {sign}{h:02}{m:02}",
            c.day, c.year, c.hour, c.minute, c.second
        )
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc5322())
    }
}

fn number(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 9 {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Hour, minute and optional second digits.
type Clock<'a> = (&'a [u8], &'a [u8], Option<&'a [u8]>);

/// `hour ":" minute [":" second]`
fn time(input: &[u8]) -> IResult<&[u8], Clock<'_>> {
    all_consuming((
        digit1,
        preceded(tag(":"), digit1),
        opt(preceded(tag(":"), digit1)),
    ))
    .parse(input)
}

/// `("+" / "-") 4DIGIT`
fn numeric_zone(input: &[u8]) -> IResult<&[u8], (char, &[u8])> {
    all_consuming((
        one_of("+-"),
        take_while_m_n(4, 4, |b: u8| b.is_ascii_digit()),
    ))
    .parse(input)
}

fn named_zone(name: &[u8]) -> Option<i32> {
    let upper = name.to_ascii_uppercase();
    Some(match upper.as_slice() {
        b"UT" | b"UTC" | b"GMT" | b"Z" => 0,
        b"EDT" => -4 * 60,
        b"EST" | b"CDT" => -5 * 60,
        b"CST" | b"MDT" => -6 * 60,
        b"MST" | b"PDT" => -7 * 60,
        b"PST" => -8 * 60,
        // RFC 5322 §4.3: military zones were defined with the wrong sign; treat as -0000.
        [b'A'..=b'I' | b'K'..=b'Z'] => 0,
        _ => return None,
    })
}

fn month(name: &[u8]) -> Option<u32> {
    if name.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| name[..3].eq_ignore_ascii_case(m.as_bytes()))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// Reads a date; obsolete forms and the asctime order (`Fri Nov 21 09:55:06 1997`) included.
pub(crate) fn parse_date(value: &[u8]) -> Option<DateTime> {
    let stripped = strip_comments(value);
    // obs-time allows whitespace around the colons.
    let mut value = Vec::with_capacity(stripped.len());
    let mut i = 0;
    while i < stripped.len() {
        if stripped[i].is_ascii_whitespace() {
            let run = stripped[i..]
                .iter()
                .take_while(|c| c.is_ascii_whitespace())
                .count();
            i += run;
            if stripped.get(i) != Some(&b':') && value.last() != Some(&b':') {
                value.push(b' ');
            }
            continue;
        }
        value.push(stripped[i]);
        i += 1;
    }
    let mut day = None;
    let mut mon = None;
    let mut year: Option<(u32, usize)> = None;
    let mut clock = None;
    let mut zone = None;
    for tok in value
        .split(|&b| b.is_ascii_whitespace() || b == b',')
        .filter(|t| !t.is_empty())
    {
        if let Ok((_, (h, m, s))) = time(tok) {
            clock = Some((number(h)?, number(m)?, s.and_then(number).unwrap_or(0)));
        } else if let Ok((_, (sign, digits))) = numeric_zone(tok) {
            let n = i32::try_from(number(digits)?).ok()?;
            let minutes = n / 100 * 60 + n % 100;
            zone = Some(if sign == '-' { -minutes } else { minutes });
        } else if tok.iter().all(u8::is_ascii_digit) {
            let n = number(tok)?;
            if day.is_none() && mon.is_none() || day.is_none() && tok.len() <= 2 && year.is_none() {
                day = Some(n);
            } else {
                year = Some((n, tok.len()));
            }
        } else if let Some(m) =
            month(tok).filter(|_| mon.is_none() && tok.iter().all(u8::is_ascii_alphabetic))
        {
            mon = Some(m);
        } else if clock.is_some() && zone.is_none() {
            zone = named_zone(tok);
        }
    }
    let (y, digits) = year?;
    let y = i64::from(y);
    let year = match digits {
        1 | 2 if y < 50 => 2000 + y,
        1 | 2 => 1900 + y,
        3 => 1900 + y,
        _ => y,
    };
    // A date without a readable time is damage, not midnight.
    let (h, m, s) = clock?;
    DateTime::from_civil(year, mon?, day?, h, m, s.min(59), zone.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<String> {
        parse_date(s.as_bytes()).map(|d| d.to_rfc3339())
    }

    #[test]
    fn rfc5322_appendix_dates() {
        assert_eq!(
            d("Fri, 21 Nov 1997 09:55:06 -0600").as_deref(),
            Some("1997-11-21T09:55:06-06:00")
        );
        assert_eq!(
            d("Tue, 1 Jul 2003 10:52:37 +0200").as_deref(),
            Some("2003-07-01T10:52:37+02:00")
        );
        assert_eq!(d("Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)").as_deref(), Some("1969-02-13T23:32:00-03:30"));
        assert_eq!(
            d("21 Nov 97 09:55:06 GMT").as_deref(),
            Some("1997-11-21T09:55:06+00:00")
        );
        assert_eq!(
            d("Fri, 21 Nov 1997 09(comment):   55  :  06 -0600").as_deref(),
            Some("1997-11-21T09:55:06-06:00")
        );
    }

    #[test]
    fn obsolete_zones_and_years() {
        assert_eq!(
            d("Mon, 3 Jan 05 1:02:03 EST").as_deref(),
            Some("2005-01-03T01:02:03-05:00")
        );
        assert_eq!(
            d("3 Jan 105 01:02 PDT").as_deref(),
            Some("2005-01-03T01:02:00-07:00")
        );
        assert_eq!(
            d("Fri Nov 21 09:55:06 1997").as_deref(),
            Some("1997-11-21T09:55:06+00:00")
        );
        assert_eq!(
            d("1 Jan 2000 00:00:00 Q").as_deref(),
            Some("2000-01-01T00:00:00+00:00")
        );
    }

    #[test]
    fn utc_instant_and_formatting() {
        let dt = parse_date(b"Thu, 13 Feb 1969 23:32:54 -0330").expect("valid");
        assert_eq!(dt.timestamp(), -27_723_426);
        assert_eq!(dt.offset_minutes(), -210);
        assert_eq!(dt.to_rfc5322(), "Thu, 13 Feb 1969 23:32:54 -0330");
        assert_eq!(
            DateTime::from_timestamp(0, 0).to_rfc3339(),
            "1970-01-01T00:00:00+00:00"
        );
        assert_eq!(
            DateTime::from_timestamp(951_782_400, 0).to_rfc5322(),
            "Tue, 29 Feb 2000 00:00:00 +0000"
        );
    }

    #[test]
    fn extreme_timestamps_are_clamped() {
        let max = DateTime::from_timestamp(i64::MAX, i32::MAX);
        assert_eq!(max.to_rfc3339(), "9999-12-30T23:59:00+23:59");
        let min = DateTime::from_timestamp(i64::MIN, i32::MIN);
        assert_eq!(min.to_rfc3339(), "0000-12-31T00:01:00-23:59");
        assert_eq!(min.to_rfc5322(), "Sun, 31 Dec 0000 00:01:00 -2359");
    }

    #[test]
    fn rejects_impossible_dates() {
        assert_eq!(d("31 Feb 2001 00:00:00 +0000"), None);
        assert_eq!(d("1 Jan 2001 25:00:00 +0000"), None);
        assert_eq!(d("garbage"), None);
        assert_eq!(d("99999999999999 Jan 2001"), None);
        assert_eq!(d("Tue, 7 Apr 2026 10:00:t <x@y>"), None);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000_i64, -1, 0, 1, 11_016, 2_932_896] {
            let (y, m, dd) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, dd), days);
        }
    }
}
