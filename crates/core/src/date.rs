//! [`Date`]: the one calendar-day type of chaintrail (label validity, screening dates, trace
//! cut-offs, daily prices, simulated heist dates).
//!
//! The calendar arithmetic is jiff's, not ours. jiff (rather than `time`): with its default
//! features off it has no dependency besides its own core crate, its `civil::Date` is exactly
//! the validated proleptic-Gregorian day we need (no time zone, no offset), its arithmetic
//! between civil dates is exact in 24-hour days, and it is at a stable 1.0 API. chaintrail adds
//! only what its data needs: the strict `YYYY-MM-DD` text form (four-digit years 0000–9999) with
//! errors that name the input, serde as that text, and the UTC day of a Unix time.

use std::fmt;
use std::str::FromStr;

use jiff::civil;
use serde::{Deserialize, Serialize};

/// A calendar day (proleptic Gregorian, year 0000–9999), printed and parsed as `YYYY-MM-DD`;
/// as a time, the day in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(civil::Date);

/// A text that is not a `YYYY-MM-DD` day that exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a date: {reason}; expected YYYY-MM-DD, a day that exists")]
pub struct DateError {
    input: String,
    reason: String,
}

impl DateError {
    fn new(input: &str, reason: impl Into<String>) -> DateError {
        DateError {
            input: input.to_string(),
            reason: reason.into(),
        }
    }

    /// The text that was not a date.
    pub fn input(&self) -> &str {
        &self.input
    }
}

const EPOCH: civil::Date = civil::date(1970, 1, 1);
const MAX_YEAR: u16 = 9999;
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Date {
    /// The day, or `None` when it does not exist (2025-02-29, month 13, year 10000).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if year > MAX_YEAR {
            return None;
        }
        let (year, month, day) = (
            i16::try_from(year).ok()?,
            i8::try_from(month).ok()?,
            i8::try_from(day).ok()?,
        );
        civil::Date::new(year, month, day).ok().map(Date)
    }

    fn from_civil(date: civil::Date) -> Option<Date> {
        (0..=MAX_YEAR as i16)
            .contains(&date.year())
            .then_some(Date(date))
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.0.year().unsigned_abs()
    }

    /// The month, 1..=12.
    pub fn month(self) -> u8 {
        self.0.month().unsigned_abs()
    }

    /// The day of the month, 1..=31.
    pub fn day(self) -> u8 {
        self.0.day().unsigned_abs()
    }

    /// Parse the date at the start of `text`: `YYYY-MM-DD`, optionally followed by a time
    /// (`T…` or ` …`), as YAML timestamps and ISO datetimes are written.
    pub fn parse_prefix(text: &str) -> Result<Date, DateError> {
        let text = text.trim();
        let (head, rest) = match (text.get(..10), text.get(10..)) {
            (Some(head), Some(rest)) => (head, rest),
            _ => return Err(DateError::new(text, "too short for YYYY-MM-DD")),
        };
        if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
            return Err(DateError::new(
                text,
                "after YYYY-MM-DD only a time (`T…` or ` …`) may follow",
            ));
        }
        head.parse()
    }

    /// The UTC day of a Unix time (seconds since 1970-01-01T00:00:00Z; chain timestamps are
    /// unsigned); `None` after 9999-12-31.
    pub fn from_unix_seconds(seconds: u64) -> Option<Date> {
        EPOCH
            .checked_add(std::time::Duration::from_secs(seconds))
            .ok()
            .and_then(Date::from_civil)
    }

    /// The day `days` days after 1970-01-01 (before it when negative); `None` outside
    /// 0000-01-01..=9999-12-31.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        let span = jiff::Span::new().try_days(days).ok()?;
        EPOCH.checked_add(span).ok().and_then(Date::from_civil)
    }

    /// Days from 1970-01-01 to this day (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        // Civil days are 24 hours long: no time zone, no leap seconds.
        self.0.duration_since(EPOCH).as_hours() / 24
    }

    /// The Unix time of the day's first second (00:00:00 UTC).
    pub fn start_unix_seconds(self) -> i64 {
        self.0.duration_since(EPOCH).as_secs()
    }

    /// The Unix time of the day's last second (23:59:59 UTC).
    pub fn end_unix_seconds(self) -> i64 {
        self.0
            .at(23, 59, 59, 0)
            .duration_since(EPOCH.at(0, 0, 0, 0))
            .as_secs()
    }

    /// The next day; `None` after 9999-12-31.
    pub fn next_day(self) -> Option<Date> {
        self.0.tomorrow().ok().and_then(Date::from_civil)
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        let now = jiff::tz::Offset::UTC
            .to_datetime(jiff::Timestamp::now())
            .date();
        // The clock of a machine running this is years away from 9999.
        Date::from_civil(now).unwrap_or(Date(civil::date(9999, 12, 31)))
    }
}

/// Why the fields of a `YYYY-MM-DD` text name no day, if they do not.
fn no_such_day(year: u16, month: u8, day: u8) -> Option<String> {
    let Some(name) = month
        .checked_sub(1)
        .and_then(|i| MONTHS.get(usize::from(i)))
    else {
        return Some(format!("there is no month {month:02}"));
    };
    let days = Date::new(year, month, 1).map_or(31, |first| first.0.days_in_month());
    (day == 0 || i16::from(day) > i16::from(days))
        .then(|| format!("{name} {year:04} has days 01 to {days}, not {day:02}"))
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shape = |reason: &str| DateError::new(s, reason);
        let bytes = s.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(shape("not of the form YYYY-MM-DD"));
        }
        let number = |range: std::ops::Range<usize>| -> Result<u16, DateError> {
            let part = &s[range];
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(shape("year, month and day must be digits"));
            }
            part.parse()
                .map_err(|_| shape("year, month and day must be digits"))
        };
        let year = number(0..4)?;
        let month = u8::try_from(number(5..7)?).map_err(|_| shape("month out of range"))?;
        let day = u8::try_from(number(8..10)?).map_err(|_| shape("day out of range"))?;
        if let Some(reason) = no_such_day(year, month, day) {
            return Err(DateError::new(s, reason));
        }
        Date::new(year, month, day).ok_or_else(|| shape("no such day"))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn date(text: &str) -> Date {
        text.parse().expect("a date")
    }

    /// 9999-12-31, the last day with a four-digit year.
    const LAST_DAY: i64 = 2_932_896;
    /// 0000-01-01.
    const FIRST_DAY: i64 = -719_528;

    #[test]
    fn known_days() {
        assert_eq!(date("1970-01-01").days_since_epoch(), 0);
        assert_eq!(date("1970-01-01").end_unix_seconds(), 86_399);
        assert_eq!(date("2000-02-29").start_unix_seconds(), 951_782_400);
        assert_eq!(date("2022-04-14").start_unix_seconds(), 1_649_894_400);
        assert_eq!(date("1969-12-31").days_since_epoch(), -1);
        assert_eq!(date("9999-12-31").days_since_epoch(), LAST_DAY);
        assert_eq!(date("0000-01-01").days_since_epoch(), FIRST_DAY);
        assert_eq!(
            Date::from_unix_seconds(1_649_894_399),
            Some(date("2022-04-13"))
        );
        assert_eq!(
            Date::from_unix_seconds(253_402_300_799),
            Some(date("9999-12-31"))
        );
        assert_eq!(Date::from_unix_seconds(253_402_300_800), None);
        assert_eq!(Date::from_days_since_epoch(FIRST_DAY - 1), None);
        assert_eq!(date("9999-12-31").next_day(), None);
        assert_eq!(date("2024-02-28").next_day(), Some(date("2024-02-29")));
        assert!(Date::today() > date("2025-01-01"));
    }

    #[test]
    fn impossible_days_are_refused_with_the_input_and_the_format() {
        let e = "2025-02-31".parse::<Date>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "`2025-02-31` is not a date: February 2025 has days 01 to 28, not 31; \
             expected YYYY-MM-DD, a day that exists"
        );
        assert_eq!(e.input(), "2025-02-31");
        let e = "2025-13-01".parse::<Date>().unwrap_err();
        assert!(e.to_string().contains("there is no month 13"), "{e}");
        for bad in [
            "2025-3-21",
            "2025-03-21 ",
            "+025-03-21",
            "2025/03/21",
            "20250321",
            "",
            "2025-00-10",
            "2025-04-00",
            "2025-04-31",
            "١٢٣٤-03-21",
        ] {
            let e = bad.parse::<Date>().unwrap_err().to_string();
            assert!(e.contains(&format!("`{bad}`")), "{e}");
            assert!(e.contains("expected YYYY-MM-DD"), "{e}");
        }
        assert_eq!(Date::new(2025, 2, 29), None);
        assert_eq!(Date::new(10_000, 1, 1), None);
        assert_eq!(
            Date::parse_prefix("2023-01-27T10:00:00").map(|d| d.to_string()),
            Ok("2023-01-27".to_string())
        );
        assert!(Date::parse_prefix("2023-01-27x").is_err());
        assert!(Date::parse_prefix("2023-01").is_err());
    }

    #[test]
    fn serde_is_the_text() {
        let d = date("2022-04-14");
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2022-04-14\"");
        assert_eq!(serde_json::from_str::<Date>("\"2022-04-14\"").unwrap(), d);
        let e = serde_json::from_str::<Date>("\"2025-02-31\"").unwrap_err();
        assert!(e.to_string().contains("`2025-02-31` is not a date"), "{e}");
    }

    fn is_leap(year: u16) -> bool {
        (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
    }

    proptest! {
        #[test]
        fn days_text_and_unix_times_round_trip(days in FIRST_DAY..=LAST_DAY) {
            let d = Date::from_days_since_epoch(days).expect("in range");
            prop_assert_eq!(d.days_since_epoch(), days);
            let text = d.to_string();
            prop_assert_eq!(text.len(), 10);
            prop_assert_eq!(text.parse::<Date>(), Ok(d));
            prop_assert_eq!(d.end_unix_seconds() - d.start_unix_seconds(), 86_399);
            if let Some(next) = d.next_day() {
                prop_assert_eq!(next.days_since_epoch(), days + 1);
                prop_assert_eq!(next.start_unix_seconds(), d.end_unix_seconds() + 1);
            }
            if let Ok(start) = u64::try_from(d.start_unix_seconds()) {
                prop_assert_eq!(Date::from_unix_seconds(start), Some(d));
                let end = start + 86_399;
                prop_assert_eq!(Date::from_unix_seconds(end), Some(d));
            }
        }

        #[test]
        fn every_unix_second_falls_in_its_day(seconds in 0u64..=253_402_300_799) {
            let d = Date::from_unix_seconds(seconds).expect("in range");
            let s = i64::try_from(seconds).expect("fits");
            prop_assert!(d.start_unix_seconds() <= s && s <= d.end_unix_seconds());
        }

        #[test]
        fn february_29_exists_in_leap_years_only(year in 0u16..=9999) {
            let text = format!("{year:04}-02-29");
            prop_assert_eq!(text.parse::<Date>().is_ok(), is_leap(year));
            prop_assert_eq!(Date::new(year, 2, 29).is_some(), is_leap(year));
            let days_in_year = if is_leap(year) { 366 } else { 365 };
            let first = Date::new(year, 1, 1).expect("exists");
            let last = Date::new(year, 12, 31).expect("exists");
            prop_assert_eq!(last.days_since_epoch() - first.days_since_epoch() + 1, days_in_year);
        }

        #[test]
        fn a_text_parses_exactly_when_its_day_exists(
            year in 0u16..=9999, month in 0u8..=14, day in 0u8..=32
        ) {
            let lengths = [31, if is_leap(year) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            let exists = (1..=12).contains(&month)
                && day >= 1
                && day <= lengths[usize::from(month) - 1];
            let text = format!("{year:04}-{month:02}-{day:02}");
            match text.parse::<Date>() {
                Ok(d) => {
                    prop_assert!(exists);
                    prop_assert_eq!((d.year(), d.month(), d.day()), (year, month, day));
                    prop_assert_eq!(d.to_string(), text);
                }
                Err(e) => {
                    prop_assert!(!exists);
                    let prefix = format!("`{text}` is not a date: ");
                    prop_assert!(e.to_string().starts_with(&prefix));
                }
            }
        }
    }
}
