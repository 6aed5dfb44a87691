//! The `date` filter: strftime formatting of Unix timestamps and common date strings, in UTC.

use std::fmt::Write as _;

use super::FilterRegistry;
use super::string::text;
use crate::value::Value;

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
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn month_from_name(s: &str) -> Option<u32> {
    let s = s.to_ascii_lowercase();
    if s.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.to_ascii_lowercase().starts_with(&s))
        .map(|i| i as u32 + 1)
}

/// Seconds since the epoch, from `HH:MM[:SS]` after a date.
fn time_of_day(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return Some(0);
    }
    let s = s.trim_end_matches('Z').trim_end_matches(" UTC");
    let (clock, offset) = match s.rfind(['+', '-']) {
        Some(i) if i > 0 => (&s[..i], Some(&s[i..])),
        _ => (s, None),
    };
    let mut parts = clock.split(':');
    let h: i64 = parts.next()?.trim().parse().ok()?;
    let m: i64 = parts.next().unwrap_or("0").trim().parse().ok()?;
    let sec: f64 = parts.next().unwrap_or("0").trim().parse().ok()?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) || !(0.0..61.0).contains(&sec) {
        return None;
    }
    let mut t = h * 3600 + m * 60 + sec as i64;
    if let Some(off) = offset {
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let digits: String = off[1..].chars().filter(char::is_ascii_digit).collect();
        let (oh, om) = match digits.len() {
            2 => (digits.parse::<i64>().ok()?, 0),
            4 => (
                digits[..2].parse::<i64>().ok()?,
                digits[2..].parse::<i64>().ok()?,
            ),
            _ => return None,
        };
        t -= sign * (oh * 3600 + om * 60);
    }
    Some(t)
}

fn valid_date(y: i64, m: u32, d: u32) -> bool {
    let days = [
        31,
        if is_leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    (1..=12).contains(&m) && d >= 1 && d <= days[m as usize - 1] && (-9999..=9999).contains(&y)
}

/// Parses the date strings authors write: ISO 8601 (`2016-03-14`, `2016-03-14T10:00:00Z`),
/// `2016/03/14`, `March 14, 2016`, `14 March 2016`, optionally followed by a time.
fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let to_ts = |y: i64, m: u32, d: u32, rest: &str| -> Option<i64> {
        if !valid_date(y, m, d) {
            return None;
        }
        Some(days_from_civil(y, m, d) * 86_400 + time_of_day(rest)?)
    };
    // Numeric: YYYY-MM-DD or YYYY/MM/DD.
    if s.len() >= 10 && s.as_bytes()[4] == s.as_bytes()[7] && matches!(s.as_bytes()[4], b'-' | b'/')
    {
        let y = s.get(0..4)?.parse().ok()?;
        let m = s.get(5..7)?.parse().ok()?;
        let d = s.get(8..10)?.parse().ok()?;
        let rest = s.get(10..)?.trim_start_matches(['T', ' ']);
        return to_ts(y, m, d, rest);
    }
    let cleaned = s.replace(',', " ");
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    // Skip a leading weekday name ("Monday, March 14, 2016").
    let words = match words.first() {
        Some(w)
            if DAYS.iter().any(|d| {
                d.to_ascii_lowercase().starts_with(&w.to_ascii_lowercase()) && w.len() >= 3
            }) =>
        {
            &words[1..]
        }
        _ => &words[..],
    };
    if words.len() < 3 {
        return None;
    }
    let rest = words[3..].join(" ");
    if let Some(m) = month_from_name(words[0]) {
        let d = words[1].parse().ok()?;
        let y = words[2].parse().ok()?;
        return to_ts(y, m, d, &rest);
    }
    if let Some(m) = month_from_name(words[1]) {
        let d = words[0].parse().ok()?;
        let y = words[2].parse().ok()?;
        return to_ts(y, m, d, &rest);
    }
    None
}

fn pad(out: &mut String, v: i64, width: usize, flag: Option<char>, default_pad: char) {
    match flag {
        Some('-') => {
            let _ = write!(out, "{v}");
        }
        Some('_') => {
            let _ = write!(out, "{v:>width$}");
        }
        Some('0') => {
            let _ = write!(out, "{v:0width$}");
        }
        _ if default_pad == ' ' => {
            let _ = write!(out, "{v:>width$}");
        }
        _ => {
            let _ = write!(out, "{v:0width$}");
        }
    }
}

/// Formats `ts` (UTC) with strftime directives.
fn strftime(ts: i64, fmt: &str) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let wday = (days + 4).rem_euclid(7) as usize;
    let yday = days - days_from_civil(y, 1, 1) + 1;
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flag = None;
        if let Some(&f) = chars.peek()
            && matches!(f, '-' | '_' | '0' | '^')
        {
            flag = Some(f);
            chars.next();
        }
        let Some(dir) = chars.next() else {
            out.push('%');
            break;
        };
        let upper = flag == Some('^');
        let name = |s: &str, out: &mut String| {
            if upper {
                out.push_str(&s.to_uppercase());
            } else {
                out.push_str(s);
            }
        };
        let h12 = if hh % 12 == 0 { 12 } else { hh % 12 };
        match dir {
            'Y' => {
                let _ = write!(out, "{y}");
            }
            'C' => pad(&mut out, y.div_euclid(100), 2, flag, '0'),
            'y' => pad(&mut out, y.rem_euclid(100), 2, flag, '0'),
            'm' => pad(&mut out, m as i64, 2, flag, '0'),
            'd' => pad(&mut out, d as i64, 2, flag, '0'),
            'e' => pad(&mut out, d as i64, 2, flag, ' '),
            'j' => pad(&mut out, yday, 3, flag, '0'),
            'H' => pad(&mut out, hh, 2, flag, '0'),
            'k' => pad(&mut out, hh, 2, flag, ' '),
            'I' => pad(&mut out, h12, 2, flag, '0'),
            'l' => pad(&mut out, h12, 2, flag, ' '),
            'M' => pad(&mut out, mm, 2, flag, '0'),
            'S' => pad(&mut out, ss, 2, flag, '0'),
            'L' => out.push_str("000"),
            'N' => out.push_str("000000000"),
            'p' => name(if hh < 12 { "AM" } else { "PM" }, &mut out),
            'P' => out.push_str(if hh < 12 { "am" } else { "pm" }),
            'A' => name(DAYS[wday], &mut out),
            'a' => name(&DAYS[wday][..3], &mut out),
            'B' => name(MONTHS[m as usize - 1], &mut out),
            'b' | 'h' => name(&MONTHS[m as usize - 1][..3], &mut out),
            'u' => {
                let _ = write!(out, "{}", if wday == 0 { 7 } else { wday });
            }
            'w' => {
                let _ = write!(out, "{wday}");
            }
            's' => {
                let _ = write!(out, "{ts}");
            }
            'Z' => out.push_str("UTC"),
            'z' => out.push_str("+0000"),
            'D' | 'x' => out.push_str(&strftime(ts, "%m/%d/%y")),
            'F' => out.push_str(&strftime(ts, "%Y-%m-%d")),
            'T' | 'X' => out.push_str(&strftime(ts, "%H:%M:%S")),
            'R' => out.push_str(&strftime(ts, "%H:%M")),
            'r' => out.push_str(&strftime(ts, "%I:%M:%S %p")),
            'c' => out.push_str(&strftime(ts, "%a %b %e %H:%M:%S %Y")),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            '%' => out.push('%'),
            other => {
                out.push('%');
                if let Some(f) = flag {
                    out.push(f);
                }
                out.push(other);
            }
        }
    }
    out
}

pub(super) fn register(r: &mut FilterRegistry) {
    r.register("date", |input, args, ctx| {
        args.expect_count(1, 1)?;
        let fmt = match args.get(0) {
            None | Some(Value::Nil) => return Ok(input.clone()),
            Some(f) => text(f).into_owned(),
        };
        if fmt.is_empty() {
            return Ok(input.clone());
        }
        let ts = match input {
            Value::Nil => return Ok(Value::Nil),
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.is_finite() => Some(f.floor() as i64),
            Value::Str(s) => {
                let t = s.trim();
                if t.eq_ignore_ascii_case("now") || t.eq_ignore_ascii_case("today") {
                    Some(ctx.now_unix)
                } else if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                    t.parse().ok()
                } else {
                    parse_date(t)
                }
            }
            _ => None,
        };
        // Keep timestamps within years -9999..9999 so that formatting stays well-defined.
        match ts.filter(|t| t.unsigned_abs() < 253_402_300_800) {
            Some(ts) => Ok(Value::from(strftime(ts, &fmt))),
            None => Ok(input.clone()),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for days in [-719_468, -1, 0, 1, 16_874, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn parses_common_date_strings() {
        assert_eq!(parse_date("March 14, 2016"), Some(1_457_913_600));
        assert_eq!(parse_date("14 Mar 2016"), Some(1_457_913_600));
        assert_eq!(parse_date("2016-03-14"), Some(1_457_913_600));
        assert_eq!(parse_date("2016-03-14T01:00:00+01:00"), Some(1_457_913_600));
        assert_eq!(parse_date("2016-02-30"), None);
        assert_eq!(parse_date("hello"), None);
    }

    #[test]
    fn formats_directives() {
        let ts = 1_152_098_955; // 2006-07-05 11:29:15 UTC, a Wednesday
        assert_eq!(strftime(ts, "%m/%d/%Y"), "07/05/2006");
        assert_eq!(
            strftime(ts, "%a %A %b %B %-d %e %j %H:%M:%S %I %p %y %%"),
            "Wed Wednesday Jul July 5  5 186 11:29:15 11 AM 06 %"
        );
        assert_eq!(strftime(-1, "%Y-%m-%d %H:%M:%S"), "1969-12-31 23:59:59");
    }
}
