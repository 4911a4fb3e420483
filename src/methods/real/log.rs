//! Reading a Dynamo profiler log (`profile_sla.log`): how long the profiling run took, and the
//! operating point it suggests.
//!
//! # Duration
//! The duration is the last minus the first timestamp found **at the start of a line**
//! (after optional whitespace and one `[`). Two forms are recognised, and the form of the first
//! timestamped line is used for the whole log (lines in the other form are skipped):
//! * [`TimestampFormat::IsoDateTime`]: `2026-01-05T12:34:56` or `2026-01-05 12:34:56`, with an
//!   optional fraction (`.123456` or Python's `,123`); a trailing `Z` or UTC offset is ignored
//!   (one log is assumed to use one offset throughout);
//! * [`TimestampFormat::TimeOfDay`]: Python logging's `%H:%M:%S` form, `12:34:56` (optional
//!   fraction). Without a date, a timestamp more than an hour *earlier* than the one before is
//!   taken to have crossed midnight (one day added per crossing).
//!
//! # Suggested operating point
//! The profiler logs its choice as e.g. `Suggested prefill TP:1 (TTFT 48.51 ms, throughput
//! 10513.23 tokens/s/GPU)` and `Suggested decode TP:2 (ITL 10.62 ms, throughput 1234.56
//! tokens/s/GPU)`. Lines containing `suggested` (any case) and `prefill` or `decode` are read for
//! the TP, the TTFT / ITL (ms) and the throughput (tokens/s/GPU); these are batch-1 numbers of
//! the chosen engines, kept apart from the per-load predictions.

use serde::Serialize;

/// Which timestamp form a log uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimestampFormat {
    /// `YYYY-MM-DD[T ]HH:MM:SS[.frac]`.
    IsoDateTime,
    /// `HH:MM:SS[.frac]` (no date).
    TimeOfDay,
}

impl std::fmt::Display for TimestampFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimestampFormat::IsoDateTime => "ISO date-time",
            TimestampFormat::TimeOfDay => "time of day (HH:MM:SS)",
        })
    }
}

/// The span of a log's timestamps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogSpan {
    /// The form used.
    pub format: TimestampFormat,
    /// The first timestamp, as written.
    pub first: String,
    /// The last timestamp, as written.
    pub last: String,
    /// Lines with a timestamp in that form.
    pub timestamped_lines: usize,
    /// Midnight crossings assumed (time-of-day form only).
    pub midnight_crossings: u32,
    /// Last − first, minutes (≥ 0).
    pub duration_min: f64,
}

/// The operating point a profiling log suggests (batch-1 numbers of the chosen engines).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Suggested {
    /// Suggested prefill TP.
    pub prefill_tp: Option<u32>,
    /// Its TTFT, ms (one request at the profiled ISL).
    pub ttft_ms: Option<f64>,
    /// Its prefill throughput, tokens/s/GPU.
    pub prefill_thpt_per_gpu: Option<f64>,
    /// Suggested decode TP.
    pub decode_tp: Option<u32>,
    /// Its ITL, ms.
    pub itl_ms: Option<f64>,
    /// Its decode throughput, tokens/s/GPU.
    pub decode_thpt_per_gpu: Option<f64>,
    /// The log lines these were read from.
    pub lines: Vec<String>,
}

/// What a log says.
#[derive(Debug, Clone, PartialEq)]
pub struct LogInfo {
    /// The timestamps' span (`None`: fewer than two timestamped lines).
    pub span: Option<LogSpan>,
    /// The suggested operating point, if logged.
    pub suggested: Option<Suggested>,
}

/// Reads a log's text.
pub fn parse(text: &str) -> LogInfo {
    LogInfo {
        span: span(text),
        suggested: suggested(text),
    }
}

/// A parsed timestamp: seconds (since the epoch for ISO; since midnight for time of day) and
/// the text it was read from.
fn timestamp(line: &str) -> Option<(TimestampFormat, f64, String)> {
    let s = line.trim_start();
    let s = s.strip_prefix('[').unwrap_or(s);
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| -> Option<u32> {
        let part = b.get(from..from + n)?;
        if part.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(part).ok()?.parse().ok()
        } else {
            None
        }
    };
    // HH:MM:SS[.frac] at `at`; returns seconds of day and the end index
    let clock = |at: usize| -> Option<(f64, usize)> {
        let (h, m, sec) = (digits(at, 2)?, digits(at + 3, 2)?, digits(at + 6, 2)?);
        if b.get(at + 2) != Some(&b':') || b.get(at + 5) != Some(&b':') || h > 23 || m > 59 || sec > 60 {
            return None;
        }
        let mut end = at + 8;
        let mut frac = 0.0;
        if matches!(b.get(end), Some(b'.' | b',')) {
            let start = end + 1;
            let mut e = start;
            while b.get(e).is_some_and(u8::is_ascii_digit) {
                e += 1;
            }
            if e > start {
                frac = format!("0.{}", &s[start..e]).parse().unwrap_or(0.0);
                end = e;
            }
        }
        if b.get(end).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        Some((f64::from(h * 3600 + m * 60 + sec) + frac, end))
    };
    if let (Some(y), Some(mo), Some(d)) = (digits(0, 4), digits(5, 2), digits(8, 2)) {
        if b[4] == b'-' && b[7] == b'-' && matches!(b.get(10), Some(b'T' | b' ')) && (1..=12).contains(&mo) {
            if !(1..=31).contains(&d) {
                return None;
            }
            let (secs, end) = clock(11)?;
            let days = days_from_civil(i64::from(y), mo, d);
            return Some((
                TimestampFormat::IsoDateTime,
                days as f64 * 86400.0 + secs,
                s[..end].to_string(),
            ));
        }
        return None;
    }
    let (secs, end) = clock(0)?;
    Some((TimestampFormat::TimeOfDay, secs, s[..end].to_string()))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The span of the line-start timestamps (see the module docs); `None` with fewer than two.
pub fn span(text: &str) -> Option<LogSpan> {
    let mut format = None;
    let mut first: Option<(f64, String)> = None;
    let mut last: Option<(f64, String)> = None;
    let mut prev_raw = 0.0;
    let mut crossings = 0u32;
    let mut n = 0usize;
    for line in text.lines() {
        let Some((f, secs, raw)) = timestamp(line) else {
            continue;
        };
        match format {
            None => format = Some(f),
            Some(g) if g != f => continue,
            _ => {}
        }
        if f == TimestampFormat::TimeOfDay && n > 0 && secs < prev_raw - 3600.0 {
            crossings += 1;
        }
        prev_raw = secs;
        let t = secs + f64::from(crossings) * 86400.0;
        n += 1;
        if first.is_none() {
            first = Some((t, raw.clone()));
        }
        last = Some((t, raw));
    }
    let (format, (t0, first), (t1, last)) = (format?, first?, last?);
    if n < 2 {
        return None;
    }
    Some(LogSpan {
        format,
        first,
        last,
        timestamped_lines: n,
        midnight_crossings: crossings,
        duration_min: ((t1 - t0) / 60.0).max(0.0),
    })
}

/// The number following `key` (case-insensitive) in `line`, after at most a few separator
/// characters (`:`, `=`, spaces, `(`).
fn number_after(line: &str, key: &str) -> Option<f64> {
    let lower = line.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(key) {
        let start = from + i + key.len();
        let rest = &line[start..];
        let skip = rest
            .char_indices()
            .take_while(|(_, c)| matches!(c, ':' | '=' | ' ' | '(' | '\t'))
            .count();
        if skip <= 3 {
            let num: String = rest[skip..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            if let Ok(v) = num.trim_end_matches('.').parse::<f64>() {
                return Some(v);
            }
        }
        from = start;
    }
    None
}

/// The number right before `unit` (case-insensitive), e.g. the throughput before `tokens/s/gpu`.
fn number_before(line: &str, unit: &str) -> Option<f64> {
    let lower = line.to_ascii_lowercase();
    let i = lower.find(unit)?;
    let head = line[..i].trim_end();
    let start = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit() || *c == '.')
        .last()
        .map(|(j, _)| j)?;
    head[start..].parse().ok()
}

/// The suggested operating point (see the module docs); `None` if the log suggests none.
pub fn suggested(text: &str) -> Option<Suggested> {
    let mut s = Suggested::default();
    for line in text.lines() {
        let lower = line.to_ascii_lowercase();
        if !lower.contains("suggested") {
            continue;
        }
        let tp = number_after(line, "tp").filter(|v| v.fract() == 0.0 && *v >= 1.0 && *v <= 1024.0);
        let thpt = number_before(line, "tokens/s/gpu");
        let mut used = false;
        if lower.contains("prefill") {
            s.prefill_tp = s.prefill_tp.or(tp.map(|v| v as u32));
            s.ttft_ms = s.ttft_ms.or(number_after(line, "ttft"));
            s.prefill_thpt_per_gpu = s.prefill_thpt_per_gpu.or(thpt);
            used = true;
        } else if lower.contains("decode") {
            s.decode_tp = s.decode_tp.or(tp.map(|v| v as u32));
            s.itl_ms = s.itl_ms.or(number_after(line, "itl"));
            s.decode_thpt_per_gpu = s.decode_thpt_per_gpu.or(thpt);
            used = true;
        }
        if used {
            s.lines.push(line.trim().to_string());
        }
    }
    (!s.lines.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_timestamps() {
        let log = "2026-01-05T12:00:00.500Z INFO start\nnot a timestamp 2026-01-05T13:00:00\n\
                   2026-01-05 12:30:00,250 - profile_sla - INFO - middle\n[2026-01-05T12:45:30] INFO end\n";
        let s = span(log).unwrap();
        assert_eq!(s.format, TimestampFormat::IsoDateTime);
        assert_eq!(s.timestamped_lines, 3);
        assert_eq!(s.first, "2026-01-05T12:00:00.500");
        assert_eq!(s.last, "2026-01-05T12:45:30");
        assert!((s.duration_min - 45.5 + 0.5 / 60.0).abs() < 1e-9, "{}", s.duration_min);
    }

    #[test]
    fn iso_across_days_and_months() {
        let s = span("2025-12-31T23:50:00 a\n2026-01-01T00:20:00 b\n").unwrap();
        assert!((s.duration_min - 30.0).abs() < 1e-9);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn time_of_day_timestamps_and_midnight() {
        let s = span("23:58:00 INFO a\n23:59:59,5 INFO b\n00:03:00 INFO c\n").unwrap();
        assert_eq!(s.format, TimestampFormat::TimeOfDay);
        assert_eq!(s.midnight_crossings, 1);
        assert!((s.duration_min - 5.0).abs() < 1e-9, "{}", s.duration_min);
        // small reordering is not a midnight crossing
        let s = span("10:00:05 a\n10:00:03 b\n10:10:00 c\n").unwrap();
        assert_eq!(s.midnight_crossings, 0);
        assert!((s.duration_min - (10.0 - 5.0 / 60.0)).abs() < 1e-9);
    }

    #[test]
    fn first_form_wins_and_junk_is_skipped() {
        let s = span("12:00:00 a\n2026-01-05T12:00:00 b\n12:01:00 c\n1234:56:78 d\n").unwrap();
        assert_eq!(s.format, TimestampFormat::TimeOfDay);
        assert_eq!(s.timestamped_lines, 2);
        assert!((s.duration_min - 1.0).abs() < 1e-9);
        assert!(span("only one line 12:00:00\n12:00:00 x\n").is_none());
        assert!(span("").is_none());
        assert!(timestamp("2026-13-05T12:00:00").is_none());
        assert!(timestamp("25:00:00").is_none());
        assert!(timestamp("12:00:001").is_none());
    }

    #[test]
    fn suggested_point() {
        let log = "2026-01-05T12:00:00 INFO Suggested prefill TP:1 (TTFT 48.51 ms, throughput 10513.23 tokens/s/GPU)\n\
                   2026-01-05T12:00:01 INFO Suggested decode TP:2 (ITL 10.62 ms, throughput 1234.5 tokens/s/GPU)\n";
        let s = suggested(log).unwrap();
        assert_eq!(s.prefill_tp, Some(1));
        assert_eq!(s.ttft_ms, Some(48.51));
        assert_eq!(s.prefill_thpt_per_gpu, Some(10513.23));
        assert_eq!(s.decode_tp, Some(2));
        assert_eq!(s.itl_ms, Some(10.62));
        assert_eq!(s.decode_thpt_per_gpu, Some(1234.5));
        assert_eq!(s.lines.len(), 2);
        assert!(suggested("nothing here\n").is_none());
    }
}
