//! Open-loop arrival processes and their precomputed generators.

use super::rate_schedule::check_steps;
use super::rng::{stream, Stream};
use super::trace::Trace;
use crate::error::{Error, Result};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp1, Gamma};
use std::f64::consts::TAU;
use std::sync::Arc;

/// An open-loop arrival process. Rates are in requests/s, times in seconds from t = 0.
///
/// Where the first request arrives: at t = 0 for `Constant` and `Trace` (the trace is shifted
/// so that its first row arrives at 0); after the first random gap for `Poisson`, `Gamma`,
/// `Sinusoid` and `Piecewise` (a stationary process observed from t = 0).
#[derive(Debug, Clone, PartialEq)]
pub enum ArrivalPattern {
    /// Poisson process: exponential gaps with mean 1/`rps` s.
    Poisson {
        /// Rate, requests/s (> 0).
        rps: f64,
    },
    /// Renewal process with Gamma gaps: mean 1/`rps` s, coefficient of variation `cv`
    /// (shape k = 1/cv², scale = 1/(rps·k)); cv = 1 is Poisson, cv < 1 smoother, cv > 1 burstier.
    Gamma {
        /// Rate, requests/s (> 0).
        rps: f64,
        /// Coefficient of variation of the gaps (> 0).
        cv: f64,
    },
    /// Evenly spaced arrivals at t = i/`rps` s, i = 0, 1, 2, …
    Constant {
        /// Rate, requests/s (> 0).
        rps: f64,
    },
    /// rate(t) = min + (max-min)·(1 - cos(2π t / period))/2 req/s (starts at min; the Dynamo
    /// planner tests use 5–45 req/s over 1800 s) — a non-homogeneous Poisson process, generated
    /// exactly by thinning a Poisson process of rate `max_rps`.
    Sinusoid {
        /// Lowest rate, requests/s (≥ 0), at t = 0, period, 2·period, …
        min_rps: f64,
        /// Highest rate, requests/s (> 0, ≥ `min_rps`), at t = period/2, 3·period/2, …
        max_rps: f64,
        /// Period, seconds (> 0).
        period_s: f64,
    },
    /// Piecewise-constant rate: (start_s, rps) steps sorted by start, first start 0; Poisson
    /// within each step (exact, by time rescaling); the last step lasts forever (if its rate is
    /// 0 the arrivals end there).
    Piecewise {
        /// `(start_s, rps)` steps: start in seconds (first 0, strictly increasing), rate in
        /// requests/s (≥ 0, at least one > 0).
        steps: Vec<(f64, f64)>,
    },
    /// The trace's own `arrived_at` times divided by `trace_rate_scale`.
    Trace,
}

fn positive_rate(flag: &str, rps: f64) -> Result<()> {
    if rps.is_finite() && rps > 0.0 {
        Ok(())
    } else {
        Err(Error::usage(
            flag,
            format!("expected a finite rate in requests/s > 0, got {rps}"),
        ))
    }
}

impl ArrivalPattern {
    /// Parses the `--sinusoid` value `MIN:MAX:PERIOD_S` (rates in requests/s, period in seconds),
    /// e.g. `5:45:1800`; errors are [`Error::Usage`] for `--sinusoid`.
    pub fn parse_sinusoid(s: &str) -> Result<Self> {
        let parts: Vec<&str> = s.trim().split(':').collect();
        if parts.len() != 3 {
            return Err(Error::usage(
                "--sinusoid",
                format!(
                    "expected MIN:MAX:PERIOD_S (req/s, req/s, seconds), e.g. 5:45:1800, got \"{}\"",
                    s.trim()
                ),
            ));
        }
        let num = |name: &str, t: &str| -> Result<f64> {
            match t.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(Error::usage(
                    "--sinusoid",
                    format!(
                        "expected {name} as a finite number in MIN:MAX:PERIOD_S, got \"{}\"",
                        t.trim()
                    ),
                )),
            }
        };
        let p = ArrivalPattern::Sinusoid {
            min_rps: num("MIN", parts[0])?,
            max_rps: num("MAX", parts[1])?,
            period_s: num("PERIOD_S", parts[2])?,
        };
        p.validate()?;
        Ok(p)
    }

    /// Long-run mean rate, requests/s: `rps` for Poisson/Gamma/Constant, (min+max)/2 for
    /// Sinusoid; `None` for Piecewise (depends on the horizon) and Trace (depends on the trace
    /// and scale: see [`super::WorkloadSpec::mean_rps`]).
    pub fn mean_rps(&self) -> Option<f64> {
        match *self {
            ArrivalPattern::Poisson { rps } | ArrivalPattern::Gamma { rps, .. } | ArrivalPattern::Constant { rps } => {
                Some(rps)
            }
            ArrivalPattern::Sinusoid { min_rps, max_rps, .. } => Some((min_rps + max_rps) / 2.0),
            ArrivalPattern::Piecewise { .. } | ArrivalPattern::Trace => None,
        }
    }

    /// Short name: `poisson`, `gamma`, `constant`, `sinusoid`, `piecewise` or `trace`.
    pub fn kind(&self) -> &'static str {
        match self {
            ArrivalPattern::Poisson { .. } => "poisson",
            ArrivalPattern::Gamma { .. } => "gamma",
            ArrivalPattern::Constant { .. } => "constant",
            ArrivalPattern::Sinusoid { .. } => "sinusoid",
            ArrivalPattern::Piecewise { .. } => "piecewise",
            ArrivalPattern::Trace => "trace",
        }
    }

    /// Checks the parameters; errors name the flag: `--rps` (rates of Poisson/Gamma/Constant),
    /// `--cv`, `--sinusoid`, `--rate-file` (Piecewise steps). `Trace` is checked by
    /// [`super::WorkloadSpec::validate`], which knows the trace.
    pub fn validate(&self) -> Result<()> {
        match self {
            ArrivalPattern::Poisson { rps } | ArrivalPattern::Constant { rps } => positive_rate("--rps", *rps),
            ArrivalPattern::Gamma { rps, cv } => {
                positive_rate("--rps", *rps)?;
                if cv.is_finite() && *cv > 0.0 {
                    Ok(())
                } else {
                    Err(Error::usage(
                        "--cv",
                        format!("expected a finite coefficient of variation > 0 (1 = Poisson), got {cv}"),
                    ))
                }
            }
            &ArrivalPattern::Sinusoid {
                min_rps,
                max_rps,
                period_s,
            } => {
                let bad = |p: String| Err(Error::usage("--sinusoid", format!("{p} (MIN:MAX:PERIOD_S)")));
                if !min_rps.is_finite() || min_rps < 0.0 {
                    return bad(format!("MIN must be a finite rate in requests/s ≥ 0, got {min_rps}"));
                }
                if !max_rps.is_finite() || max_rps <= 0.0 {
                    return bad(format!("MAX must be a finite rate in requests/s > 0, got {max_rps}"));
                }
                if max_rps < min_rps {
                    return bad(format!("MAX must be ≥ MIN, got MIN {min_rps} > MAX {max_rps}"));
                }
                if !period_s.is_finite() || period_s <= 0.0 {
                    return bad(format!(
                        "PERIOD_S must be a finite number of seconds > 0, got {period_s}"
                    ));
                }
                Ok(())
            }
            ArrivalPattern::Piecewise { steps } => check_steps(steps).map_err(|p| Error::usage("--rate-file", p)),
            ArrivalPattern::Trace => Ok(()),
        }
    }
}

/// Replays trace arrival times: row i of cycle c arrives at
/// `((arrived_at[i] − arrived_at[0]) + c·period) / scale` s, where period = span + mean gap.
#[derive(Debug, Clone)]
pub(crate) struct TraceClock {
    trace: Arc<Trace>,
    a0: f64,
    period: f64,
    scale: f64,
}

impl TraceClock {
    pub(crate) fn new(trace: Arc<Trace>, scale: f64) -> Self {
        let n = trace.rows.len();
        let a0 = trace.rows.first().and_then(|r| r.arrived_at_s).unwrap_or(0.0);
        let span = trace.span_s().unwrap_or(0.0);
        let period = if n > 1 { span + span / (n - 1) as f64 } else { 0.0 };
        TraceClock {
            trace,
            a0,
            period,
            scale,
        }
    }

    /// Trace span + mean gap, seconds of trace time (0 when all arrivals share one time).
    pub(crate) fn period(&self) -> f64 {
        self.period
    }

    /// Number of rows.
    pub(crate) fn rows(&self) -> usize {
        self.trace.rows.len()
    }

    /// Time of row `row` in cycle `cycle`, seconds.
    #[inline]
    pub(crate) fn time_s(&self, row: usize, cycle: u64) -> f64 {
        let a = self.trace.rows.get(row).and_then(|r| r.arrived_at_s).unwrap_or(self.a0);
        ((a - self.a0) + cycle as f64 * self.period) / self.scale
    }

    /// Time of request `j` (0-based), seconds.
    pub(crate) fn time_of(&self, j: u64) -> f64 {
        let n = self.rows().max(1) as u64;
        self.time_s((j % n) as usize, j / n)
    }
}

/// A running arrival process; `next_s` gives non-decreasing arrival times in seconds.
// One per generator, matched on every request: inline (not boxed) on purpose.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub(crate) enum ArrivalGen {
    Poisson {
        rng: ChaCha8Rng,
        mean_gap: f64,
        t: f64,
    },
    Gamma {
        rng: ChaCha8Rng,
        gap: Gamma<f64>,
        t: f64,
    },
    Constant {
        rps: f64,
        index: u64,
    },
    Sinusoid {
        rng: ChaCha8Rng,
        min: f64,
        amp: f64,
        max: f64,
        omega: f64,
        t: f64,
    },
    Piecewise {
        rng: ChaCha8Rng,
        steps: Vec<(f64, f64)>,
        idx: usize,
        t: f64,
    },
    Trace {
        clock: TraceClock,
        row: usize,
        cycle: u64,
    },
}

impl ArrivalGen {
    /// The generator of a validated pattern (all draws from the `Arrivals` stream of `seed`).
    pub(crate) fn new(p: &ArrivalPattern, seed: u64, trace: Option<&Arc<Trace>>, scale: f64) -> Result<Self> {
        let rng = stream(seed, Stream::Arrivals);
        Ok(match p {
            &ArrivalPattern::Poisson { rps } => ArrivalGen::Poisson {
                rng,
                mean_gap: 1.0 / rps,
                t: 0.0,
            },
            &ArrivalPattern::Gamma { rps, cv } => {
                let k = 1.0 / (cv * cv);
                let gap = Gamma::new(k, 1.0 / (rps * k))
                    .map_err(|e| Error::usage("--cv", format!("invalid Gamma gaps for rps {rps}, cv {cv}: {e}")))?;
                ArrivalGen::Gamma { rng, gap, t: 0.0 }
            }
            &ArrivalPattern::Constant { rps } => ArrivalGen::Constant { rps, index: 0 },
            &ArrivalPattern::Sinusoid {
                min_rps,
                max_rps,
                period_s,
            } => ArrivalGen::Sinusoid {
                rng,
                min: min_rps,
                amp: max_rps - min_rps,
                max: max_rps,
                omega: TAU / period_s,
                t: 0.0,
            },
            ArrivalPattern::Piecewise { steps } => ArrivalGen::Piecewise {
                rng,
                steps: steps.clone(),
                idx: 0,
                t: 0.0,
            },
            ArrivalPattern::Trace => {
                let trace = trace.ok_or_else(|| {
                    Error::usage(
                        "--trace",
                        "replaying trace arrival times needs a trace (--trace NAME|FILE)",
                    )
                })?;
                ArrivalGen::Trace {
                    clock: TraceClock::new(Arc::clone(trace), scale),
                    row: 0,
                    cycle: 0,
                }
            }
        })
    }

    /// The next arrival time, seconds; `None` when no request will ever arrive again (a
    /// piecewise schedule ending with rate 0).
    #[inline]
    pub(crate) fn next_s(&mut self) -> Option<f64> {
        match self {
            ArrivalGen::Poisson { rng, mean_gap, t } => {
                let e: f64 = Exp1.sample(rng);
                *t += e * *mean_gap;
                Some(*t)
            }
            ArrivalGen::Gamma { rng, gap, t } => {
                *t += gap.sample(rng);
                Some(*t)
            }
            ArrivalGen::Constant { rps, index } => {
                let t = *index as f64 / *rps;
                *index += 1;
                Some(t)
            }
            ArrivalGen::Sinusoid {
                rng,
                min,
                amp,
                max,
                omega,
                t,
            } => loop {
                // thinning: candidates at rate max, accepted with probability rate(t)/max
                let e: f64 = Exp1.sample(rng);
                *t += e / *max;
                let rate = *min + *amp * (1.0 - (*omega * *t).cos()) / 2.0;
                let u: f64 = rng.random();
                if u * *max < rate {
                    return Some(*t);
                }
            },
            ArrivalGen::Piecewise { rng, steps, idx, t } => {
                // time rescaling: a unit-rate exponential "mass" consumed at the step rates
                let mut mass: f64 = Exp1.sample(rng);
                loop {
                    let &(_, rate) = steps.get(*idx)?;
                    let end = steps.get(*idx + 1).map(|s| s.0);
                    if rate > 0.0 {
                        let at = *t + mass / rate;
                        if end.is_none_or(|end| at < end) {
                            *t = at;
                            return Some(at);
                        }
                    }
                    let end = end?; // last step with rate 0: no more arrivals
                    if rate > 0.0 {
                        mass = (mass - (end - *t) * rate).max(0.0);
                    }
                    *t = end;
                    *idx += 1;
                }
            }
            ArrivalGen::Trace { clock, row, cycle } => {
                let t = clock.time_s(*row, *cycle);
                *row += 1;
                if *row >= clock.rows() {
                    *row = 0;
                    *cycle += 1;
                }
                Some(t)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_sinusoid() {
        assert_eq!(
            ArrivalPattern::parse_sinusoid("5:45:1800").unwrap(),
            ArrivalPattern::Sinusoid {
                min_rps: 5.0,
                max_rps: 45.0,
                period_s: 1800.0
            }
        );
        assert!(ArrivalPattern::parse_sinusoid(" 0:1.5:10 ").is_ok());
        assert!(ArrivalPattern::parse_sinusoid("3:3:10").is_ok());
        for (s, want) in [
            ("5:45", "expected MIN:MAX:PERIOD_S"),
            ("5:45:1800:1", "expected MIN:MAX:PERIOD_S"),
            ("a:45:1800", "expected MIN as a finite number"),
            ("5:45:nan", "expected PERIOD_S as a finite number"),
            ("-1:45:1800", "MIN must be"),
            ("0:0:1800", "MAX must be a finite rate in requests/s > 0"),
            ("50:45:1800", "MAX must be ≥ MIN"),
            ("5:45:0", "PERIOD_S must be"),
            ("5:45:-3", "PERIOD_S must be"),
        ] {
            let e = ArrivalPattern::parse_sinusoid(s).unwrap_err().to_string();
            assert!(e.starts_with("--sinusoid: ") && e.contains(want), "{s}: {e}");
        }
    }

    #[test]
    fn validate_names_flags() {
        let e = |p: ArrivalPattern| p.validate().unwrap_err().to_string();
        assert!(e(ArrivalPattern::Poisson { rps: 0.0 }).starts_with("--rps: expected a finite rate"));
        assert!(e(ArrivalPattern::Poisson { rps: -1.0 }).starts_with("--rps"));
        assert!(e(ArrivalPattern::Constant { rps: f64::NAN }).starts_with("--rps"));
        assert!(e(ArrivalPattern::Constant { rps: f64::INFINITY }).starts_with("--rps"));
        assert!(e(ArrivalPattern::Gamma { rps: 0.0, cv: 1.0 }).starts_with("--rps"));
        assert!(e(ArrivalPattern::Gamma { rps: 1.0, cv: 0.0 }).starts_with("--cv: expected"));
        assert!(e(ArrivalPattern::Gamma { rps: 1.0, cv: f64::NAN }).starts_with("--cv"));
        assert!(e(ArrivalPattern::Piecewise { steps: vec![] }).starts_with("--rate-file: no steps"));
        assert!(e(ArrivalPattern::Piecewise {
            steps: vec![(0.0, 0.0)]
        })
        .contains("rps > 0"));
        assert!(e(ArrivalPattern::Piecewise {
            steps: vec![(0.0, 1.0), (0.0, 2.0)]
        })
        .contains("strictly increasing"));
        assert!(ArrivalPattern::Trace.validate().is_ok());
    }

    #[test]
    fn mean_rps_and_kind() {
        assert_eq!(ArrivalPattern::Poisson { rps: 3.0 }.mean_rps(), Some(3.0));
        assert_eq!(ArrivalPattern::Gamma { rps: 2.0, cv: 4.0 }.mean_rps(), Some(2.0));
        assert_eq!(
            ArrivalPattern::parse_sinusoid("5:45:1800").unwrap().mean_rps(),
            Some(25.0)
        );
        assert_eq!(ArrivalPattern::Trace.mean_rps(), None);
        assert_eq!(
            ArrivalPattern::Piecewise {
                steps: vec![(0.0, 1.0)]
            }
            .kind(),
            "piecewise"
        );
    }
}
