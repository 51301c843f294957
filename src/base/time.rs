//! Time as the capture gives it: nanoseconds since the Unix epoch, printed as RFC 3339.

use std::fmt;

/// A point in time, in nanoseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// From seconds and nanoseconds since the epoch, as pcap records and the kernel give them;
    /// saturates at the ends of `i64` instead of overflowing.
    pub fn from_secs_nanos(secs: i64, nanos: i64) -> Self {
        Timestamp(secs.saturating_mul(1_000_000_000).saturating_add(nanos))
    }
    /// Whole seconds since the epoch, rounded down (towards the past before 1970).
    pub fn secs(self) -> i64 {
        self.0.div_euclid(1_000_000_000)
    }
    /// `HH:MM:SS.mmm` in UTC: the time column of the text output and the terminal view.
    pub fn time_of_day(self) -> String {
        let of_day = self.secs().rem_euclid(86_400);
        format!(
            "{:02}:{:02}:{:02}.{:03}",
            of_day / 3600,
            of_day / 60 % 60,
            of_day % 60,
            self.subsec_nanos() / 1_000_000
        )
    }

    /// Nanoseconds past the whole second of [`secs`](Self::secs): 0 to 999 999 999.
    pub fn subsec_nanos(self) -> u32 {
        self.0.rem_euclid(1_000_000_000) as u32
    }
    /// Nanoseconds from `earlier` to `self`, saturating: a capture may carry any 64-bit time,
    /// the ends of the range included, and the distance between two must not overflow.
    pub fn nanos_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
    /// `nanos` later, saturating at the end of time.
    pub fn plus_nanos(self, nanos: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(nanos))
    }
    /// Seconds from `earlier` to `self`, negative when `self` is earlier.
    pub fn seconds_since(self, earlier: Timestamp) -> f64 {
        // In i128: two times at the ends of the range are 2^64 ns apart.
        (i128::from(self.0) - i128::from(earlier.0)) as f64 / 1e9
    }
}

impl Timestamp {
    /// RFC 3339 in UTC with microseconds, as tcpdump prints them: `2026-11-27T03:26:49.123456Z`;
    /// `None` for a year outside 0–9999. Written digit by digit: this is on the path of every
    /// JSON record.
    pub(crate) fn rfc3339(self) -> Option<[u8; 27]> {
        let secs = self.secs();
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        if !(0..=9999).contains(&year) {
            return None;
        }
        let of_day = secs.rem_euclid(86_400) as u32;
        let mut text = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |at: usize, width: usize, mut value: u32| {
            for i in (at..at + width).rev() {
                text[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, year as u32);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, of_day / 3600);
        put(14, 2, of_day / 60 % 60);
        put(17, 2, of_day % 60);
        put(20, 6, self.subsec_nanos() / 1000);
        Some(text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rfc3339() {
            Some(text) => f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?),
            None => {
                let secs = self.secs();
                let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
                let of_day = secs.rem_euclid(86_400);
                let (h, m, s) = (of_day / 3600, of_day / 60 % 60, of_day % 60);
                write!(
                    f,
                    "{year}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{:06}Z",
                    self.subsec_nanos() / 1000
                )
            }
        }
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.rfc3339() {
            Some(text) => serializer.serialize_str(std::str::from_utf8(&text).unwrap_or_default()),
            None => serializer.collect_str(self),
        }
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_as_rfc3339_utc() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000Z");
        let ts = Timestamp::from_secs_nanos(1_795_750_009, 123_456_789);
        assert_eq!(ts.to_string(), "2026-11-27T03:26:49.123456Z");
        assert_eq!(
            Timestamp::from_secs_nanos(951_782_400, 0).to_string(),
            "2000-02-29T00:00:00.000000Z"
        );
    }
}
