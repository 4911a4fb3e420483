//! The simulation horizon: the latest simulated time a run may reach, and the input bounds that
//! keep runs inside it.
//!
//! Simulated time is a `u64` count of nanoseconds, which could hold 1.8·10¹⁹ ns (≈ 584 years),
//! but an overflowing add would silently wrap (or a saturating one would freeze time) and give
//! plausible wrong answers. So every simulated time is kept ≤ [`HORIZON_NS`] (10⁷ s ≈ 116 days,
//! far beyond any benchmark and 1,800× below `u64::MAX`, so adding two in-horizon times can never
//! overflow), in two layers:
//!
//! 1. **Input bounds**, where the input is known, each error naming it: calibration values
//!    ([`check_calibration_value`]: scales ≤ [`MAX_TIME_SCALE`], times ≤ [`MAX_INPUT_MS`] ms),
//!    profile TTFT/ITL points (≤ [`MAX_INPUT_MS`] ms each), open-loop rates against the request
//!    count (requests / rate ≤ the horizon), `--duration` (≤ the horizon, and duration × rate ≤
//!    the request cap), trace arrival times (after `--trace-rate-scale`), GPU catalog values (in
//!    physical ranges). With a profile point ≤ 10⁷ ms and a scale ≤ 10³, one engine step is at
//!    most the horizon.
//! 2. **A runtime guard** in the event loop: every event time is `now + delay` with a checked
//!    add, and a time past the horizon stops the run with [`crate::Error::Horizon`] naming the
//!    inputs that set that kind of delay (an arrival, an engine step, a KV transfer, a hand-off,
//!    a response's network latency). Conversions from ms to ns ([`super::engine::ms_to_ns`])
//!    map anything past the horizon (and +∞) to [`BEYOND_HORIZON_NS`], which the guard rejects.

use crate::error::{Error, Result};

/// The horizon, seconds of simulated time (10⁷ s ≈ 116 days).
pub const HORIZON_S: f64 = 1e7;
/// The horizon, nanoseconds of simulated time.
pub const HORIZON_NS: u64 = 10_000_000 * 1_000_000_000;
/// The horizon as printed in messages.
pub const HORIZON_TEXT: &str = "10^7 s (≈ 116 days)";
/// What a ms → ns conversion returns for a time past the horizon (or +∞): one past
/// [`HORIZON_NS`], so the event loop's guard rejects it.
pub const BEYOND_HORIZON_NS: u64 = HORIZON_NS + 1;
/// Largest time one input may state, ms (10⁷ ms ≈ 2.8 h): a profile's TTFT or ITL point, a
/// calibration latency or overhead.
pub const MAX_INPUT_MS: f64 = 1e7;
/// Largest calibration time multiplier (`*_scale` keys).
pub const MAX_TIME_SCALE: f64 = 1e3;
/// Largest calibration time per token (`*_ms_per_token` keys), ms.
pub const MAX_MS_PER_TOKEN: f64 = 1e3;
/// Bandwidth range of calibration `*_gbps` keys (0 allowed: not modelled), GB/s.
pub const GBPS_RANGE: (f64, f64) = (1e-3, 1e6);

/// Checks one numeric calibration value by the unit its key's suffix names (so keys added later
/// are checked by the same rule): `*_scale` a multiplier in (0, [`MAX_TIME_SCALE`]];
/// `*_ms_per_token` in [0, [`MAX_MS_PER_TOKEN`]] ms; `*_ms` in [0, [`MAX_INPUT_MS`]] ms;
/// `*_gbps` 0 or in [`GBPS_RANGE`]; anything else finite. `file` and `key` name it in the error.
pub fn check_calibration_value(file: &str, key: &str, v: f64) -> Result<()> {
    let bad = |expected: String| {
        Err(Error::data(
            file,
            key,
            format!("is {}; expected {expected}", num_text(v)),
        ))
    };
    if !v.is_finite() {
        return bad("a finite number".into());
    }
    if key.ends_with("_scale") {
        if !(v > 0.0 && v <= MAX_TIME_SCALE) {
            return bad(format!(
                "a positive multiplier ≤ {MAX_TIME_SCALE} (larger scales push simulated time past the horizon)"
            ));
        }
    } else if key.ends_with("_ms_per_token") {
        if !(0.0..=MAX_MS_PER_TOKEN).contains(&v) {
            return bad(format!("a time per token in [0, {MAX_MS_PER_TOKEN}] ms"));
        }
    } else if key.ends_with("_ms") {
        if !(0.0..=MAX_INPUT_MS).contains(&v) {
            return bad(format!("a time in [0, {MAX_INPUT_MS}] ms (≈ 2.8 h)"));
        }
    } else if key.ends_with("_gbps") && v != 0.0 && !(GBPS_RANGE.0..=GBPS_RANGE.1).contains(&v) {
        return bad(format!(
            "0 (not modelled) or a bandwidth in [{}, {}] GB/s",
            GBPS_RANGE.0, GBPS_RANGE.1
        ));
    }
    Ok(())
}

/// Checks every numeric field of a serialisable calibration (a JSON object of key → value;
/// nested objects such as provenance are skipped) with [`check_calibration_value`].
pub fn check_calibration_fields<T: serde::Serialize>(file: &str, cal: &T) -> Result<()> {
    let v = serde_json::to_value(cal).map_err(|e| Error::data(file, "(json)", e.to_string()))?;
    if let serde_json::Value::Object(m) = v {
        for (k, x) in &m {
            if let Some(f) = x.as_f64() {
                check_calibration_value(file, k, f)?;
            }
        }
    }
    Ok(())
}

/// One profile time (TTFT or ITL point), ms: finite, > 0 and ≤ [`MAX_INPUT_MS`]; `i` is the
/// element index for the message.
pub fn check_profile_ms(file: &str, key: &str, i: usize, v: f64) -> Result<()> {
    if !(v.is_finite() && v > 0.0 && v <= MAX_INPUT_MS) {
        return Err(Error::data(
            file,
            key,
            format!(
                "element {i} is {}; expected a time in (0, {MAX_INPUT_MS}] ms (≈ 2.8 h)",
                num_text(v)
            ),
        ));
    }
    Ok(())
}

/// Seconds → nanoseconds when the time is within the horizon (`None` past it, for NaN and for
/// negative times).
pub fn secs_within_horizon(s: f64) -> Option<u64> {
    (0.0..=HORIZON_S).contains(&s).then(|| (s * 1e9).round() as u64)
}

/// A number for messages: plain when moderate (`0.25`, `1000`), in exponent form when huge or
/// tiny (`1e308`, `1e-300`), so a hostile value does not print 300 digits.
pub fn num_text(v: f64) -> String {
    let a = v.abs();
    if v != 0.0 && v.is_finite() && !(1e-4..1e9).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A simulated time as text for messages: seconds with 4 significant digits, or "past
/// u64 nanoseconds" when the time saturated.
pub fn time_text(ns: u64) -> String {
    if ns == u64::MAX {
        "beyond 1.8e10 s".into()
    } else {
        format!("{:.4e} s", ns as f64 / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_values_checked_by_suffix() {
        assert!(check_calibration_value("c.json", "prefill_time_scale", 1.0).is_ok());
        assert!(check_calibration_value("c.json", "prefill_time_scale", 1e3).is_ok());
        let e = check_calibration_value("c.json", "prefill_time_scale", 1e11)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.json: `prefill_time_scale`: is 1e11; expected"), "{e}");
        assert_eq!(num_text(1e308), "1e308");
        assert_eq!(num_text(0.25), "0.25");
        assert_eq!(num_text(1000.0), "1000");
        assert!(check_calibration_value("c.json", "new_thing_scale", 0.0).is_err());
        assert!(check_calibration_value("c.json", "frontend_latency_ms", 1e8).is_err());
        assert!(check_calibration_value("c.json", "frontend_latency_ms", 0.0).is_ok());
        assert!(check_calibration_value("c.json", "kv_transfer_ms_per_token", 2e3).is_err());
        assert!(check_calibration_value("c.json", "kv_transfer_gbps", 1e-300).is_err());
        assert!(check_calibration_value("c.json", "kv_transfer_gbps", 0.0).is_ok());
        assert!(check_calibration_value("c.json", "kv_transfer_gbps", 50.0).is_ok());
        assert!(check_calibration_value("c.json", "max_num_seqs", 8.0).is_ok());
    }

    #[test]
    fn horizon_arithmetic_cannot_overflow() {
        assert!(HORIZON_NS.checked_add(BEYOND_HORIZON_NS).is_some());
        assert_eq!(secs_within_horizon(HORIZON_S), Some(HORIZON_NS));
        assert_eq!(secs_within_horizon(1e15), None);
        assert_eq!(secs_within_horizon(f64::NAN), None);
        assert_eq!(secs_within_horizon(-1.0), None);
    }
}
